//! The secret vault: the OS keyring (Linux kernel keyutils, macOS Keychain, Windows Credential
//! Manager), through the `keyring` crate, under the service `qops`.
//!
//! Debug builds (the tests' binary) can be pointed at a directory instead with
//! `QOPS_TEST_KEYRING_DIR`, one owner-only file per account, so tests need no OS keyring
//! service. Release builds have no such door.

use crate::secret::Secret;

/// The keyring service every qops secret is stored under.
pub const SERVICE: &str = "qops";

enum Backend {
    Os,
    #[cfg(debug_assertions)]
    Files(std::path::PathBuf),
}

fn backend() -> Backend {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("QOPS_TEST_KEYRING_DIR").filter(|d| !d.is_empty()) {
        return Backend::Files(std::path::PathBuf::from(dir));
    }
    Backend::Os
}

/// Stores `secret` under `account`, replacing what was there.
pub fn store(account: &str, secret: &Secret) -> Result<(), String> {
    match backend() {
        Backend::Os => match entry(account)?.set_password(secret.expose()) {
            Ok(()) => Ok(()),
            // keyutils answers so when the process has no session keyring (a service, a
            // container, `su` without a login).
            Err(keyring::Error::NoEntry) => Err(format!(
                "the OS keyring cannot store the secret of {account:?} here (on Linux it lives in the login session's keyring, and this process has none): use --client-secret-command or --client-secret-env"
            )),
            Err(e) => Err(keyring_error(account, &e)),
        },
        #[cfg(debug_assertions)]
        Backend::Files(dir) => {
            let roots = crate::files::FileRoots::allowing(std::slice::from_ref(&dir))?;
            let path = file_of(&dir, account);
            roots.write(&path.to_string_lossy(), secret.expose().as_bytes())
        }
    }
}

/// The secret stored under `account`.
pub fn load(account: &str) -> Result<Secret, String> {
    let missing = || {
        format!(
            "no secret in the OS keyring for account {account:?} (service {SERVICE}; on Linux it does not outlive a reboot): store it again with `qops connection add {account:?} --replace --url ... --client-secret-keyring`"
        )
    };
    match backend() {
        Backend::Os => match entry(account)?.get_password() {
            Ok(secret) => Ok(Secret::new(secret)),
            Err(keyring::Error::NoEntry) => Err(missing()),
            Err(e) => Err(keyring_error(account, &e)),
        },
        #[cfg(debug_assertions)]
        Backend::Files(dir) => crate::files::read_text_if_exists(&file_of(&dir, account))?
            .map(Secret::new)
            .ok_or_else(missing),
    }
}

/// Forgets the secret under `account`; whether there was one.
pub fn delete(account: &str) -> Result<bool, String> {
    match backend() {
        Backend::Os => match entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(account, &e)),
        },
        #[cfg(debug_assertions)]
        Backend::Files(dir) => match std::fs::remove_file(file_of(&dir, account)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("the test keyring: {e}")),
        },
    }
}

/// The keyring entry of `account`. Where the `keyring` crate has no native store for the
/// platform it would fall back to an in-memory mock that forgets at exit: refused instead.
fn entry(account: &str) -> Result<keyring::Entry, String> {
    if !cfg!(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "windows"
    )) {
        return Err(format!(
            "no OS keyring on this platform for account {account:?}: use --client-secret-command or --client-secret-env"
        ));
    }
    keyring::Entry::new(SERVICE, account).map_err(|e| keyring_error(account, &e))
}

/// The keyring's own message (it names the failure, never the secret).
fn keyring_error(account: &str, e: &keyring::Error) -> String {
    format!("the OS keyring (service {SERVICE}, account {account:?}): {e}")
}

/// One file per account, its name the account's bytes in hex (any account is a safe name).
#[cfg(debug_assertions)]
fn file_of(dir: &std::path::Path, account: &str) -> std::path::PathBuf {
    let hex: String = account.bytes().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.secret"))
}
