//! Encryption of personal data at rest and keyed hashes for looking it up.
//!
//! One 32-byte master key, kept outside the database: from `EIMZA_DATA_KEY` (base64) or a file
//! created on first run with mode 0600. Two keys are derived from it (HMAC-SHA256 with a label),
//! one for XChaCha20-Poly1305 and one for the lookup hashes, so a leaked hash key does not
//! decrypt anything. Each ciphertext is bound to what it is (the `purpose` as associated data),
//! so a TC Kimlik No ciphertext cannot be passed off as a birth date.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the data key must be 32 bytes in base64")]
    BadKey,
    #[error("reading or creating the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("ciphertext could not be decrypted (wrong key or damaged data)")]
    Decrypt,
}

#[derive(Clone)]
pub struct Vault {
    aead: XChaCha20Poly1305,
    lookup: Hmac<Sha256>,
    /// Encryption keys still accepted for reading: during a key rotation, the old one.
    previous: Vec<XChaCha20Poly1305>,
}

/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): the first 16 bytes of the 24-byte nonce and
/// the key make a subkey (HChaCha20, RustCrypto's `chacha20`), with which the last 8 bytes seal
/// by ChaCha20-Poly1305 (IETF, ring's). The same bytes as `chacha20poly1305::XChaCha20Poly1305`
/// (a test holds both to that); why not that crate: its Poly1305 set-up alone is about 1.7 µs a
/// message, and every chat turn seals its conversation (the web chat each transcript line too):
/// ring seals 300 bytes in 0.4 µs against 1.9 µs (`scripts/bench chat` counts CPU per message).
#[derive(Clone)]
struct XChaCha20Poly1305 {
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl XChaCha20Poly1305 {
    fn new(key: &[u8; 32]) -> XChaCha20Poly1305 {
        XChaCha20Poly1305 { key: zeroize::Zeroizing::new(*key) }
    }

    /// The ChaCha20-Poly1305 key and nonce this nonce stands for.
    fn subkey(&self, nonce: &[u8; NONCE_LEN]) -> (ring::aead::LessSafeKey, ring::aead::Nonce) {
        let mut sub = chacha20::hchacha::<chacha20::cipher::consts::U10>((&*self.key).into(), (&nonce[..16]).into());
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &sub)
            .unwrap_or_else(|_| unreachable!("a ChaCha20-Poly1305 key is 32 bytes"));
        zeroize::Zeroize::zeroize(sub.as_mut_slice());
        let mut short = [0u8; 12];
        short[4..].copy_from_slice(&nonce[16..]);
        (ring::aead::LessSafeKey::new(key), ring::aead::Nonce::assume_unique_for_key(short))
    }

    /// `plaintext` sealed into `out` (appended: ciphertext, then the 16-byte tag).
    fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
        let (key, nonce) = self.subkey(nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag = key
            .seal_in_place_separate_tag(nonce, ring::aead::Aad::from(aad), &mut out[start..])
            .unwrap_or_else(|_| unreachable!("ChaCha20-Poly1305 seals up to 256 GiB"));
        out.extend_from_slice(tag.as_ref());
    }

    /// The plaintext of `sealed` (ciphertext and tag), if it is authentic.
    fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (key, nonce) = self.subkey(nonce);
        let mut buffer = sealed.to_vec();
        let plain = key.open_in_place(nonce, ring::aead::Aad::from(aad), &mut buffer).ok()?.len();
        buffer.truncate(plain);
        Some(buffer)
    }
}

/// The keys a key file holds. Version 1 is one master key both keys are derived from; version 2
/// (written by a key rotation) holds the encryption key and the lookup key apart — the lookup
/// key never changes, because what is stored only as a keyed hash (tokens, codes) cannot be
/// hashed again — and, while a rotation runs, the previous encryption keys.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyFile {
    pub encryption: [u8; 32],
    pub lookup: [u8; 32],
    pub previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFile").field("previous", &self.previous.len()).finish_non_exhaustive()
    }
}

const KEY_FILE_V2: &str = "eimza-key 2";

impl KeyFile {
    fn from_master(master: &[u8; 32]) -> KeyFile {
        KeyFile { encryption: derive(master, b"eimza/v1/encryption"), lookup: derive(master, b"eimza/v1/lookup"), previous: Vec::new() }
    }

    /// Reads a key file's text: a base64 master key (version 1), or the version 2 lines.
    pub fn parse(text: &str) -> Result<KeyFile, VaultError> {
        let text = text.trim();
        let Some(rest) = text.strip_prefix(KEY_FILE_V2) else {
            let bytes = B64.decode(text).map_err(|_| VaultError::BadKey)?;
            let master: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadKey)?;
            return Ok(KeyFile::from_master(&master));
        };
        let key = |b64: &str| -> Result<[u8; 32], VaultError> {
            B64.decode(b64.trim()).map_err(|_| VaultError::BadKey)?.try_into().map_err(|_| VaultError::BadKey)
        };
        let (mut encryption, mut lookup, mut previous) = (None, None, Vec::new());
        for line in rest.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once(' ') {
                Some(("encryption", v)) => encryption = Some(key(v)?),
                Some(("lookup", v)) => lookup = Some(key(v)?),
                Some(("previous", v)) => previous.push(key(v)?),
                _ => return Err(VaultError::BadKey),
            }
        }
        Ok(KeyFile { encryption: encryption.ok_or(VaultError::BadKey)?, lookup: lookup.ok_or(VaultError::BadKey)?, previous })
    }

    /// The version 2 text.
    pub fn to_text(&self) -> String {
        let mut text = format!("{KEY_FILE_V2}\nencryption {}\nlookup {}\n", B64.encode(self.encryption), B64.encode(self.lookup));
        for key in &self.previous {
            text.push_str(&format!("previous {}\n", B64.encode(key)));
        }
        text
    }

    pub fn vault(&self) -> Vault {
        Vault {
            aead: XChaCha20Poly1305::new(&self.encryption),
            lookup: <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup).expect("HMAC takes any key length"),
            previous: self.previous.iter().map(XChaCha20Poly1305::new).collect(),
        }
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Vault {
    pub fn from_master_key(master: &[u8; 32]) -> Vault {
        KeyFile::from_master(master).vault()
    }

    /// A key as `EIMZA_DATA_KEY` or a key file gives it (either version).
    pub fn from_base64(key: &str) -> Result<Vault, VaultError> {
        Ok(KeyFile::parse(key)?.vault())
    }

    /// The same keys without the previous ones: what reads only data already re-encrypted.
    pub fn current_only(&self) -> Vault {
        Vault { previous: Vec::new(), ..self.clone() }
    }

    /// Loads the key file, creating it (mode 0600) with a fresh random key if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Vault, VaultError> {
        let io = |source| VaultError::KeyFile { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => Vault::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    private_dir(dir).map_err(io)?;
                }
                let mut master = [0u8; 32];
                rand::rng().fill_bytes(&mut master);
                write_private(path, B64.encode(master).as_bytes()).map_err(io)?;
                Ok(Vault::from_master_key(&master))
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn encrypt(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        self.aead.seal(&nonce, purpose.as_bytes(), plaintext, &mut out);
        out
    }

    pub fn decrypt(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(VaultError::Decrypt);
        }
        let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Decrypt)?;
        let open = |aead: &XChaCha20Poly1305| aead.open(nonce, purpose.as_bytes(), ciphertext);
        open(&self.aead).or_else(|| self.previous.iter().find_map(open)).ok_or(VaultError::Decrypt)
    }

    pub fn encrypt_str(&self, purpose: &str, plaintext: &str) -> Vec<u8> {
        self.encrypt(purpose, plaintext.as_bytes())
    }

    pub fn decrypt_str(&self, purpose: &str, sealed: &[u8]) -> Result<String, VaultError> {
        String::from_utf8(self.decrypt(purpose, sealed)?).map_err(|_| VaultError::Decrypt)
    }

    /// Keyed hash for equality lookups (e.g. "is there an open ticket for this TC Kimlik No?").
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        let mut mac = self.lookup.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// 256 random bits, URL-safe base64: tokens, poll secrets, nonces, one-time links.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A one-time value of 256 random bits as an [`Id`](eimza_protocol::wire::Id) (web-eid's rule
/// for challenge nonces).
pub fn random_nonce() -> eimza_protocol::wire::Id {
    eimza_protocol::wire::Id::new(&random_secret()).unwrap_or_else(|| unreachable!("43 base64url characters make an id"))
}

/// A random identifier with a readable prefix (`a-…` agents, `w-…` work items, `p-…` pairing
/// requests): 132 random bits.
pub fn random_id(prefix: &str) -> eimza_protocol::wire::Id {
    let id = format!("{prefix}-{}", &random_secret()[..22]);
    eimza_protocol::wire::Id::new(&id).unwrap_or_else(|| unreachable!("a prefix and base64url make an id"))
}

/// A folder only this user may enter (0700 on Unix), created if missing.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A folder of the operator's choosing for private files: created as [`private_dir`] if missing;
/// one that exists must be a folder (not a link to one) of this user's, closed to everyone else,
/// and is left as it is (never opened up, nor closed behind another program's back).
pub fn own_private_dir(dir: &Path) -> std::io::Result<()> {
    let found = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return private_dir(dir),
        found => found?,
    };
    let refuse = |why: &str| Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why.to_owned()));
    if !found.is_dir() {
        return refuse("not a folder (a link to one is not taken)");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if found.uid() != rustix::process::geteuid().as_raw() {
            return refuse("the folder belongs to another user");
        }
        if found.mode() & 0o077 != 0 {
            return refuse("others may enter the folder: make it 0700");
        }
    }
    Ok(())
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_operators_private_folder_is_made_or_must_be_closed_to_others() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let new = root.path().join("yeni klasör/posta");
        own_private_dir(&new).unwrap();
        assert_eq!(mode(&new), 0o700, "made private");
        own_private_dir(&new).unwrap(); // as it was
        let open = root.path().join("açık");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(own_private_dir(&open).is_err(), "a folder others may enter is refused");
        assert_eq!(mode(&open), 0o755, "and left as it is");
        let link = root.path().join("bağlantı");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        assert!(own_private_dir(&link).is_err(), "a link is refused");
        let file = root.path().join("dosya");
        std::fs::write(&file, b"").unwrap();
        assert!(own_private_dir(&file).is_err(), "a file is refused");
    }

    #[test]
    fn round_trip_and_purpose_binding() {
        let v = Vault::from_master_key(&[7; 32]);
        let sealed = v.encrypt_str("tckn", "10000000146");
        assert_eq!(v.decrypt_str("tckn", &sealed).unwrap(), "10000000146");
        assert!(v.decrypt_str("birth", &sealed).is_err());
        assert!(Vault::from_master_key(&[8; 32]).decrypt_str("tckn", &sealed).is_err());
        assert!(v.decrypt_str("tckn", &sealed[..10]).is_err());
        assert_ne!(v.encrypt_str("tckn", "x"), v.encrypt_str("tckn", "x"), "nonces differ");
        // Any byte changed (version, nonce, ciphertext, tag) is refused.
        for at in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[at] ^= 0x01;
            assert!(v.decrypt("tckn", &tampered).is_err(), "byte {at} changed");
        }
        // The shortest sealed value is an empty plaintext's (version, nonce, tag); one byte less
        // is refused.
        let empty = v.encrypt("tckn", b"");
        assert_eq!(empty.len(), 1 + NONCE_LEN + TAG_LEN);
        assert_eq!(v.decrypt("tckn", &empty).unwrap(), b"");
        assert!(v.decrypt("tckn", &empty[..empty.len() - 1]).is_err());
    }

    /// The sealing is XChaCha20-Poly1305 to the byte: what the RustCrypto AEAD (which the vault
    /// used before) sealed opens, and the reverse, at every length around the block sizes; and
    /// the draft's own test vector (draft-irtf-cfrg-xchacha-03, A.3.1).
    #[test]
    fn seals_as_xchacha20_poly1305_does() {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        let key = [0x42u8; 32];
        let ours = XChaCha20Poly1305::new(&key);
        let theirs = chacha20poly1305::XChaCha20Poly1305::new(&key.into());
        for len in [0, 1, 15, 16, 17, 63, 64, 65, 300, 1500] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let nonce: [u8; NONCE_LEN] = std::array::from_fn(|i| (i * 13 + len) as u8);
            let mut sealed = Vec::new();
            ours.seal(&nonce, b"purpose", &plaintext, &mut sealed);
            let expected = theirs.encrypt((&nonce).into(), Payload { msg: &plaintext, aad: b"purpose" }).unwrap();
            assert_eq!(sealed, expected, "{len} bytes");
            assert_eq!(ours.open(&nonce, b"purpose", &expected).unwrap(), plaintext);
            assert!(ours.open(&nonce, b"other", &expected).is_none());
        }
        let hex = |s: &str| (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
        let key: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
        let nonce: [u8; NONCE_LEN] = std::array::from_fn(|i| 0x40 + i as u8);
        let plaintext =
            b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let mut sealed = Vec::new();
        XChaCha20Poly1305::new(&key).seal(&nonce, &hex("50515253c0c1c2c3c4c5c6c7"), plaintext, &mut sealed);
        let expected = hex(concat!(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216",
            "cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e",
            "c0875924c1c7987947deafd8780acf49"
        ));
        assert_eq!(sealed, expected);
    }

    #[test]
    fn lookup_hashes_are_keyed_and_stable() {
        let a = Vault::from_master_key(&[1; 32]);
        let b = Vault::from_master_key(&[2; 32]);
        assert_eq!(a.lookup_hash("tckn", "10000000146"), a.lookup_hash("tckn", "10000000146"));
        assert_ne!(a.lookup_hash("tckn", "10000000146"), b.lookup_hash("tckn", "10000000146"));
        assert_ne!(a.lookup_hash("tckn", "1"), a.lookup_hash("email", "1"));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/eimza.key");
        let v1 = Vault::load_or_create(&path).unwrap();
        let v2 = Vault::load_or_create(&path).unwrap();
        let sealed = v1.encrypt_str("x", "secret");
        assert_eq!(v2.decrypt_str("x", &sealed).unwrap(), "secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(Vault::from_base64("short"), Err(VaultError::BadKey)));
    }
}
