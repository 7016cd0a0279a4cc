"""Type stubs of the compiled module ``rds_iam._native`` (checked by mypy.stubtest)."""

import asyncio
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Optional, Union, final

from rds_iam._typing import Credentials, Kind, Seconds, Stats, UrlDriver

__all__ = [
    "CA_BUNDLE_PEM",
    "ERROR_CODES",
    "PUBLIC_ROOTS_PEM",
    "SIGNER_OPTIONS",
    "Signer",
    "TokenInfo",
    "__version__",
    "clear_caches",
    "cli_main",
    "sign",
    "stats",
    "trust_file",
]

__version__: str
ERROR_CODES: tuple[str, ...]
CA_BUNDLE_PEM: str
PUBLIC_ROOTS_PEM: str
SIGNER_OPTIONS: tuple[str, ...]

@final
class Signer:
    def __new__(
        cls,
        host: Optional[str] = None,
        port: Optional[int] = None,
        user: Optional[str] = None,
        region: Optional[str] = None,
        *,
        cluster_id: Optional[str] = None,
        sign_host: Optional[str] = None,
        profile: Optional[str] = None,
        credentials: Optional[Union[Credentials, Mapping[str, object]]] = None,
        role_arn: Optional[str] = None,
        role_session_name: Optional[str] = None,
        external_id: Optional[str] = None,
        kind: Optional[Kind] = None,
        expires_in: Optional[Seconds] = None,
        reuse_for: Optional[Seconds] = None,
        refresh_margin: Optional[Seconds] = None,
        fetch_timeout: Optional[Seconds] = None,
        imds_timeout: Optional[Seconds] = None,
        web_identity_attempts: Optional[int] = None,
    ) -> Signer: ...
    def token(self) -> str: ...
    def token_info(self) -> TokenInfo: ...
    def token_async(self) -> asyncio.Future[str]: ...
    def dsn(
        self,
        database: Optional[str] = None,
        driver: UrlDriver = "postgresql",
        *,
        ca: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def user(self) -> Optional[str]: ...
    @property
    def region(self) -> str: ...
    @property
    def sign_host(self) -> str: ...
    @property
    def sign_port(self) -> int: ...
    @property
    def kind(self) -> Kind: ...

@final
class TokenInfo:
    @property
    def token(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def signed_at(self) -> datetime: ...
    @property
    def from_cache(self) -> bool: ...
    @property
    def access_key_id(self) -> str: ...

def sign(
    host: str,
    port: Optional[int] = None,
    user: Optional[str] = None,
    region: Optional[str] = None,
    *,
    credentials: Union[Credentials, Mapping[str, object]],
    at: Optional[datetime] = None,
    kind: Optional[Kind] = None,
    expires_in: Optional[Seconds] = None,
) -> str: ...
def clear_caches() -> None: ...
def stats() -> Stats: ...
def cli_main(args: list[str]) -> int: ...
def trust_file() -> str: ...
