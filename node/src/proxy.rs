//! `proxy(signer, options)`: the core's in-process IAM auth proxy
//! ([`rds_iam::proxy::ProxyHandle::start_local`]) as a Promise of a [`LocalProxy`].
//!
//! Only conversions here: the options object → [`LocalProxyOptions`], the handle's address →
//! `url` / `host` / `port`, core errors → coded `Error`s. Starting (binding, reading the TLS
//! files) and closing (the drain) block, so both run on libuv's thread pool as `AsyncTask`s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi::{Env, JsValue, Task, ValueType};
use napi_derive::napi;
use rds_iam::proxy::{ClientTls, Engine, ListenAddress, LocalProxyOptions, ProxyHandle};
use rds_iam::sync::lock;

use crate::errors::{invalid, js_error};
use crate::napi_raw;
use crate::options::{
    type_name, Options, CLIENT_TLS_CERT, CLIENT_TLS_KEY, CLIENT_TLS_KEYS, PROXY_CA,
    PROXY_CLIENT_TLS, PROXY_CLIENT_TLS_REQUIRED, PROXY_DATABASE, PROXY_ENGINE, PROXY_KEYS,
    PROXY_LISTEN, PROXY_MAX_CONNECTIONS, PROXY_USERS,
};
use crate::signer::Signer;

/// A running local proxy: what `await rdsIam.proxy(signer)` resolves to.
#[napi]
pub struct LocalProxy {
    /// `None` once closed (shared with a close in progress).
    handle: Arc<Mutex<Option<ProxyHandle>>>,
    /// Held for the whole of a close, so that a second `close()` settles after the first.
    closing: Arc<Mutex<()>>,
    url: String,
    host: String,
    port: u16,
}

#[napi]
impl LocalProxy {
    /// `postgresql://<user>@127.0.0.1:<port>/<database>?sslmode=disable` (`mysql://…` for
    /// MySQL): connect here with no password.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The address the proxy listens on (`'127.0.0.1'` unless `listen` said otherwise).
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.host.clone()
    }

    /// The port the proxy listens on.
    #[napi(getter)]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Client sessions open now (0 once `close()` has begun).
    #[napi(getter)]
    pub fn open_sessions(&self) -> u32 {
        lock(&self.handle)
            .as_ref()
            .map_or(0, |h| u32::try_from(h.open_sessions()).unwrap_or(u32::MAX))
    }

    /// True once `close()` has begun.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        lock(&self.handle).is_none()
    }

    /// Stops accepting clients, lets open sessions finish for up to 5 s, then closes the rest.
    /// Settles once the port is closed (off the main thread: the event loop keeps running);
    /// closing again does nothing.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Close> {
        AsyncTask::new(Close {
            handle: self.handle.clone(),
            closing: self.closing.clone(),
        })
    }

    /// What `JSON.stringify` shows (no secret: the proxy holds none to show).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ url: string; host: string; port: number; closed: boolean }"
    )]
    pub fn to_json(&self, env: &Env) -> napi::Result<Object<'_>> {
        let mut o = Object::new(env)?;
        o.set("url", self.url())?;
        o.set("host", self.host())?;
        o.set("port", self.port)?;
        o.set("closed", self.closed())?;
        Ok(o)
    }
}

impl Drop for LocalProxy {
    /// A proxy collected unclosed is closed on a thread of its own: the drain may take seconds
    /// and a finalizer runs on the main thread.
    fn drop(&mut self) {
        if let Some(h) = lock(&self.handle).take() {
            h.close_in_background();
        }
    }
}

/// `proxy.close()`'s work.
pub struct Close {
    handle: Arc<Mutex<Option<ProxyHandle>>>,
    closing: Arc<Mutex<()>>,
}

impl Task for Close {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let _closing = lock(&self.closing);
        let handle = lock(&self.handle).take();
        if let Some(h) = handle {
            h.close();
        }
        Ok(())
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// `proxy()`'s work: start the proxy.
pub struct Start {
    signer: Arc<rds_iam::Signer>,
    options: Option<LocalProxyOptions>,
}

impl Task for Start {
    type Output = rds_iam::Result<ProxyHandle>;
    type JsValue = LocalProxy;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let options = self.options.take().unwrap_or_default();
        Ok(ProxyHandle::start_local(&self.signer, options))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<LocalProxy> {
        let handle = output.map_err(|e| js_error(&env, &e))?;
        let (host, port) = match handle.addresses().first() {
            Some(ListenAddress::Tcp(a)) => (a.ip().to_string(), a.port()),
            Some(ListenAddress::Unix(p)) => (p.display().to_string(), 0),
            None => (String::new(), 0),
        };
        Ok(LocalProxy {
            url: handle.url(),
            handle: Arc::new(Mutex::new(Some(handle))),
            closing: Arc::default(),
            host,
            port,
        })
    }
}

/// Starts a local proxy for `signer`'s database (PostgreSQL, or MySQL / MariaDB: `engine`, or
/// port 3306), in this process: clients connect to `url` with no password, and the proxy logs
/// in upstream as the user the client names with an IAM token (TLS verified against the
/// signer's `signHost`), then relays the session. It listens on `127.0.0.1` on a free port and
/// lets in the signer's user unless the options say otherwise. Rejects with an `Error` whose
/// `.code` is `InvalidArgument` when the address cannot be bound or a TLS file cannot be read.
#[napi(
    ts_args_type = "signer: Signer, options?: ProxyOptions",
    ts_return_type = "Promise<LocalProxy>"
)]
pub fn proxy<'env>(
    env: &'env Env,
    signer: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<AsyncTask<Start>> {
    // SAFETY: a Node-API callback on this thread; `signer` is one of its handles, and the
    // reference is used only here (its `Arc` is cloned).
    let Some(signer) = (unsafe { napi_raw::unwrap_tagged::<Signer>(env.raw(), signer.raw()) })
    else {
        return Err(invalid(
            env,
            "signer",
            "rdsIam.proxy() takes a Signer (new rdsIam.Signer({ ... }))",
        ));
    };
    let signer = signer.inner.clone();
    let given = match options {
        Some(v) if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => Some(v),
        _ => None,
    };
    let mut lo = LocalProxyOptions::default();
    if let Some(v) = given {
        let o = Options::new(env, "proxy()", Some(v), PROXY_KEYS)?;
        lo.database = o.string(PROXY_DATABASE)?;
        lo.users = string_list(env, o.value(PROXY_USERS)?)?;
        lo.listen = o
            .string(PROXY_LISTEN)?
            .map(|s| {
                s.parse::<SocketAddr>().map_err(|_| {
                    invalid(
                        env,
                        "listen",
                        format!(
                            "`{}` is not an IP address and port ('127.0.0.1:5433', '[::1]:0')",
                            s.escape_debug()
                        ),
                    )
                })
            })
            .transpose()?;
        lo.ca = o.string(PROXY_CA)?.map(PathBuf::from);
        lo.client_tls = client_tls(env, o.value(PROXY_CLIENT_TLS)?)?;
        lo.client_tls_required = o.flag(PROXY_CLIENT_TLS_REQUIRED)?.unwrap_or(false);
        lo.max_connections = o.count(PROXY_MAX_CONNECTIONS)?.unwrap_or(0) as usize;
        lo.engine = o
            .string(PROXY_ENGINE)?
            .map(|name| {
                Engine::from_name(&name).ok_or_else(|| {
                    invalid(
                        env,
                        "engine",
                        format!(
                            "`{}` is not an engine; use 'postgresql' or 'mysql'",
                            name.escape_debug()
                        ),
                    )
                })
            })
            .transpose()?;
    }
    Ok(AsyncTask::new(Start {
        signer,
        options: Some(lo),
    }))
}

/// `users`: an array of strings.
fn string_list(env: &Env, v: Option<Unknown>) -> napi::Result<Option<Vec<String>>> {
    let Some(v) = v else {
        return Ok(None);
    };
    if !v.is_array()? {
        return Err(invalid(
            env,
            "users",
            format!(
                "expected an array of user names, got {}",
                type_name(v.get_type()?)
            ),
        ));
    }
    // SAFETY: checked to be an array.
    let array: Array = unsafe { v.cast()? };
    let mut users = Vec::with_capacity(array.len() as usize);
    for i in 0..array.len() {
        let item: Option<Unknown> = array.get(i)?;
        let t = match &item {
            Some(item) => item.get_type()?,
            None => ValueType::Undefined,
        };
        if t != ValueType::String {
            return Err(invalid(
                env,
                "users",
                format!("expected user names (strings), got {} at {i}", type_name(t)),
            ));
        }
        if let Some(item) = item {
            // SAFETY: checked to be a string.
            users.push(unsafe { item.cast::<String>()? });
        }
    }
    Ok(Some(users))
}

/// `clientTls`: `'auto'` or `{ cert, key }` (PEM file paths).
fn client_tls(env: &Env, v: Option<Unknown>) -> napi::Result<Option<ClientTls>> {
    let Some(v) = v else {
        return Ok(None);
    };
    match v.get_type()? {
        ValueType::String => {
            // SAFETY: checked to be a string.
            let s: String = unsafe { v.cast()? };
            if s == "auto" {
                Ok(Some(ClientTls::Auto))
            } else {
                Err(invalid(
                    env,
                    "clientTls",
                    format!(
                        "`{}` is not 'auto'; pass 'auto' or {{ cert, key }} (PEM file paths)",
                        s.escape_debug()
                    ),
                ))
            }
        }
        ValueType::Object if !v.is_array()? => {
            let o = Options::new(env, "clientTls", Some(v), CLIENT_TLS_KEYS)?;
            Ok(Some(ClientTls::Files {
                cert: o.required_string(CLIENT_TLS_CERT)?.into(),
                key: o.required_string(CLIENT_TLS_KEY)?.into(),
            }))
        }
        t => Err(invalid(
            env,
            "clientTls",
            format!(
                "expected 'auto' or {{ cert, key }}, got {}",
                if t == ValueType::Object {
                    "an array"
                } else {
                    type_name(t)
                }
            ),
        )),
    }
}
