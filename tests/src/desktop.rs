//! A desktop for the agent's window: a private Xvfb display (1366×768, the smallest office
//! screen the window must fit) whose framebuffer is a file, read as a screenshot and written as
//! PNG; keys typed with xdotool (XTEST, as a keyboard would). scripts/test installs xvfb, Mesa's
//! software OpenGL and xdotool.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Desktop {
    pub display: String,
    xvfb: Child,
    fbdir: tempfile::TempDir,
}

impl Desktop {
    pub fn start() -> Desktop {
        let fbdir = tempfile::tempdir().unwrap();
        for _ in 0..20 {
            let n = 200 + rand::random::<u16>() % 30_000;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                continue;
            }
            let xvfb = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1366x768x24", "-nolisten", "tcp", "-fbdir"])
                .arg(fbdir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (scripts/test installs xvfb)");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && fbdir.path().join("Xvfb_screen0").exists() {
                    return Desktop { display: format!(":{n}"), xvfb, fbdir };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let mut xvfb = xvfb;
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
        panic!("Xvfb did not start");
    }

    /// `xdotool ARGS` on this display.
    pub fn xdotool(&self, args: &[&str]) -> bool {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("xdotool (scripts/test installs it)")
            .success()
    }

    /// Waits until a window whose title contains `name` is mapped; gives it the keyboard (no
    /// window manager here to do it) and puts the pointer on it.
    pub fn wait_for_window(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.xdotool(&["search", "--onlyvisible", "--name", name]) {
            assert!(Instant::now() < deadline, "no window named {name:?} appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
        self.xdotool(&["mousemove", "450", "330"]);
        self.xdotool(&["search", "--onlyvisible", "--name", name, "windowfocus", "--sync"]);
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn key(&self, key: &str) {
        assert!(self.xdotool(&["key", "--delay", "60", key]), "xdotool key {key}");
    }

    pub fn type_text(&self, text: &str) {
        assert!(self.xdotool(&["type", "--delay", "60", text]), "xdotool type");
    }

    /// The screen as PNG at `path` (the framebuffer file is XWD: a header, a colour map, then
    /// 32-bit pixels B, G, R, unused).
    pub fn screenshot(&self, path: &Path) {
        let xwd = std::fs::read(self.fbdir.path().join("Xvfb_screen0")).unwrap();
        let be = |i: usize| u32::from_be_bytes(xwd[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let (header, width, height, bits, line, ncolors) = (be(0), be(4), be(5), be(11), be(12), be(19));
        assert_eq!(bits, 32, "a 24-bit screen keeps 32-bit pixels");
        let start = header + ncolors * 12;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let row = &xwd[start + y * line..start + y * line + width * 4];
            for px in row.chunks_exact(4) {
                rgb.extend_from_slice(&[px[2], px[1], px[0]]);
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut encoder = png::Encoder::new(file, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(&rgb).unwrap();
    }

    pub fn screenshot_dir() -> PathBuf {
        crate::root().join("target").join("screenshots")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
