/* bcryptprimitives.dll for wine 8, which has none: Rust's std (1.78+) draws its random bytes from
 * ProcessPrng in this DLL, so every Rust .exe exits 53 under wine without it. Windows 8 and later
 * ship the real one; this is only dropped into the test prefix's system32 (scripts/windows/prefix.sh).
 * ProcessPrng never fails on Windows; here it forwards to BCryptGenRandom, chunked to its ULONG. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
