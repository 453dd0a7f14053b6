//! The PKCS#11 back-end: Kamu SM's `akisp11` module in production (AKİS cards with secure
//! messaging need it), SoftHSM2 in the tests. Token flags stand in for the tries counter.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use super::cert::KeyKind;
use super::{Backend, BackendKind, CardError, Pin, PinTries};

/// Where Kamu SM's installers put the module, per OS (CARD.md), in the order we look.
pub fn default_module_paths() -> Vec<PathBuf> {
    let candidates: &[&str] = if cfg!(windows) {
        &[r"C:\Windows\System32\akisp11.dll", r"C:\Windows\SysWOW64\akisp11.dll", r"C:\Program Files\AKIS\akisp11.dll"]
    } else if cfg!(target_os = "macos") {
        &["/usr/local/lib/libakisp11.dylib", "/Library/AKIS/libakisp11.dylib", "/usr/lib/libakisp11.dylib"]
    } else {
        &[
            "/usr/lib/libakisp11.so",
            "/usr/lib/x86_64-linux-gnu/libakisp11.so",
            "/usr/local/lib/libakisp11.so",
            "/opt/AKIS/libakisp11.so",
            "/usr/lib64/libakisp11.so",
        ]
    };
    candidates.iter().map(PathBuf::from).collect()
}

/// A loaded and initialised module. Loaded once per process and never finalised: a second
/// `C_Initialize`/`C_Finalize` pair would cut the sessions of anyone else using it.
#[derive(Clone)]
pub struct Pkcs11Module {
    context: Pkcs11,
    path: PathBuf,
}

/// A token as the module lists it.
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub slot: Slot,
    pub slot_description: String,
    pub label: String,
}

fn modules() -> &'static Mutex<HashMap<PathBuf, Pkcs11Module>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11Module>>> = OnceLock::new();
    MODULES.get_or_init(Default::default)
}

fn ck(function: &str, e: CkError) -> CardError {
    match e {
        CkError::Pkcs11(RvError::PinLocked, _) => CardError::PinLocked,
        CkError::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => CardError::CardRemoved,
        CkError::Pkcs11(RvError::UserNotLoggedIn, _) => CardError::NotVerified,
        other => CardError::Pkcs11 { function: function.to_owned(), detail: other.to_string() },
    }
}

impl Pkcs11Module {
    /// Loads the module at `path` and initialises it with NULL arguments (Kamu SM's module is
    /// reported to refuse anything else, CARD.md).
    pub fn load(path: &Path) -> Result<Pkcs11Module, CardError> {
        let mut loaded = modules().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(module) = loaded.get(path) {
            return Ok(module.clone());
        }
        let unusable = || CardError::Pkcs11Module { path: path.display().to_string() };
        if !path.is_file() {
            return Err(unusable());
        }
        let context = Pkcs11::new(path).map_err(|_| unusable())?;
        initialize_with_null(path).or_else(|()| {
            // The module does not export C_Initialize: go through its function list.
            match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(()),
                Err(_) => Err(unusable()),
            }
        })?;
        let module = Pkcs11Module { context, path: path.to_owned() };
        loaded.insert(path.to_owned(), module.clone());
        Ok(module)
    }

    /// The configured module, or the first of the usual install locations that exists.
    pub fn find(configured: Option<&Path>) -> Option<Result<Pkcs11Module, CardError>> {
        match configured {
            Some(path) => Some(Pkcs11Module::load(path)),
            None => default_module_paths().into_iter().find(|p| p.is_file()).map(|p| Pkcs11Module::load(&p)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens the module shows. A slot that cannot be read right now (a card being pulled
    /// out, a token another program is still writing) is left out rather than failing the rest.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, CardError> {
        let slots = self.context.get_slots_with_token().map_err(|e| ck("C_GetSlotList", e))?;
        let mut tokens = Vec::new();
        for slot in slots {
            let (Ok(slot_info), Ok(token)) = (self.context.get_slot_info(slot), self.context.get_token_info(slot)) else {
                continue;
            };
            if !token.token_initialized() {
                continue;
            }
            tokens.push(TokenInfo {
                slot,
                slot_description: slot_info.slot_description().trim().to_owned(),
                label: token.label().trim().to_owned(),
            });
        }
        Ok(tokens)
    }

    pub fn open(&self, slot: Slot) -> Result<Pkcs11Backend, CardError> {
        let session = self.context.open_ro_session(slot).map_err(|e| ck("C_OpenSession", e))?;
        Ok(Pkcs11Backend { context: self.context.clone(), slot, session })
    }
}

/// `C_Initialize(NULL)` through the exported symbol. `Err(())` when the module has none.
#[allow(unsafe_code)] // the only way to call a C function by its symbol; see SAFETY below
fn initialize_with_null(path: &Path) -> Result<(), ()> {
    type CInitialize = unsafe extern "C" fn(*mut std::ffi::c_void) -> std::ffi::c_ulong;
    const CKR_OK: std::ffi::c_ulong = 0;
    const CKR_CRYPTOKI_ALREADY_INITIALIZED: std::ffi::c_ulong = 0x191;
    // SAFETY: loading a PKCS#11 module runs its constructors, which is what using it means; the
    // symbol's type is fixed by the PKCS#11 standard, and NULL is a documented argument.
    unsafe {
        let library = libloading::Library::new(path).map_err(drop)?;
        let init: libloading::Symbol<CInitialize> = library.get(b"C_Initialize\0").map_err(drop)?;
        let rv = init(std::ptr::null_mut());
        // Keep the library mapped for the life of the process: the module's state lives in it.
        std::mem::forget(library);
        if rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED { Ok(()) } else { Err(()) }
    }
}

pub struct Pkcs11Backend {
    context: Pkcs11,
    slot: Slot,
    session: Session,
}

impl Pkcs11Backend {
    /// The certificate that has a private signing key with the same CKA_ID; the first
    /// certificate when none is paired (some tokens leave the IDs empty).
    fn signing_pair(&self) -> Result<(Vec<u8>, Option<ObjectHandle>), CardError> {
        let certs = self
            .session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE), Attribute::CertificateType(CertificateType::X_509)])
            .map_err(|e| ck("C_FindObjects", e))?;
        let mut first = None;
        for cert in certs {
            let attrs =
                self.session.get_attributes(cert, &[AttributeType::Value, AttributeType::Id]).map_err(|e| ck("C_GetAttributeValue", e))?;
            let (mut value, mut id) = (Vec::new(), Vec::new());
            for a in attrs {
                match a {
                    Attribute::Value(v) => value = v,
                    Attribute::Id(i) => id = i,
                    _ => {}
                }
            }
            if value.is_empty() {
                continue;
            }
            if !id.is_empty() {
                let keys = self
                    .session
                    .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(id.clone())])
                    .map_err(|e| ck("C_FindObjects", e))?;
                if let Some(key) = keys.first() {
                    return Ok((value, Some(*key)));
                }
            }
            first.get_or_insert(value);
        }
        first.map(|v| (v, None)).ok_or(CardError::NoCertificate)
    }
}

/// SHA-256 DigestInfo prefix, as in the APDU profile: CKM_RSA_PKCS signs what it is given.
const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

impl Backend for Pkcs11Backend {
    fn kind(&self) -> BackendKind {
        BackendKind::Pkcs11
    }

    fn read_certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.signing_pair().map(|(der, _)| der)
    }

    fn pin_tries(&mut self) -> Result<PinTries, CardError> {
        let info = self.context.get_token_info(self.slot).map_err(|e| ck("C_GetTokenInfo", e))?;
        Ok(if info.user_pin_locked() {
            PinTries::Locked
        } else if info.user_pin_final_try() {
            PinTries::Final
        } else if info.user_pin_count_low() {
            PinTries::Low
        } else {
            PinTries::NotLow
        })
    }

    fn verify_pin(&mut self, pin: &Pin) -> Result<(), CardError> {
        let digits = std::str::from_utf8(pin.expose()).map_err(|_| CardError::PinFormat(super::PinFormatError::NotDigits))?;
        // AuthPin is a SecretString: wiped on drop.
        let secret = AuthPin::from(digits);
        match self.session.login(UserType::User, Some(&secret)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => match self.pin_tries()? {
                PinTries::Locked => Err(CardError::PinLocked),
                tries => Err(CardError::WrongPin { tries }),
            },
            Err(CkError::Pkcs11(RvError::PinLenRange, _)) => Err(CardError::PinFormat(super::PinFormatError::Length(digits.len()))),
            Err(e) => Err(ck("C_Login", e)),
        }
    }

    fn sign_digest(&mut self, digest: &[u8; 32], key: KeyKind) -> Result<Vec<u8>, CardError> {
        let (_, handle) = self.signing_pair()?;
        let handle = match handle {
            Some(h) => h,
            None => *self
                .session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Sign(true)])
                .map_err(|e| ck("C_FindObjects", e))?
                .first()
                .ok_or(CardError::NoCertificate)?,
        };
        let (mechanism, data) = match key {
            KeyKind::Rsa { .. } => {
                let mut info = SHA256_DIGEST_INFO.to_vec();
                info.extend_from_slice(digest);
                (Mechanism::RsaPkcs, info)
            }
            KeyKind::EcP256 => (Mechanism::Ecdsa, digest.to_vec()),
            KeyKind::Other => return Err(CardError::BadCertificate),
        };
        self.session.sign(&mechanism, handle, &data).map_err(|e| ck("C_Sign", e))
    }
}

#[cfg(test)]
mod tests {
    use cryptoki::context::Function;

    use super::*;

    #[test]
    fn return_values_map_to_the_same_words_as_the_apdu_path() {
        assert_eq!(ck("C_Login", CkError::Pkcs11(RvError::PinLocked, Function::Login)), CardError::PinLocked);
        assert_eq!(ck("C_Sign", CkError::Pkcs11(RvError::DeviceRemoved, Function::Sign)), CardError::CardRemoved);
        assert_eq!(ck("C_Sign", CkError::Pkcs11(RvError::TokenNotPresent, Function::Sign)), CardError::CardRemoved);
        assert_eq!(ck("C_Sign", CkError::Pkcs11(RvError::UserNotLoggedIn, Function::Sign)), CardError::NotVerified);
        assert!(matches!(ck("C_Sign", CkError::Pkcs11(RvError::GeneralError, Function::Sign)), CardError::Pkcs11 { .. }));
    }

    #[test]
    fn a_missing_or_foreign_file_is_not_a_module() {
        assert!(matches!(Pkcs11Module::load(Path::new("/yok/libakisp11.so")), Err(CardError::Pkcs11Module { .. })));
        assert!(matches!(Pkcs11Module::load(Path::new("/etc/hostname")), Err(CardError::Pkcs11Module { .. })));
        assert!(!default_module_paths().is_empty());
    }
}
