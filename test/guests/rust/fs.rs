// Rust std::fs guest: builds a small tree under the directory given as argv[1], reads it back
// (read_dir sorted, metadata), renames and removes entries, and prints what it saw and each error.
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;

fn err(e: std::io::Error) -> String {
    let kind = match e.kind() {
        ErrorKind::NotFound => "NotFound",
        ErrorKind::AlreadyExists => "AlreadyExists",
        ErrorKind::PermissionDenied => "PermissionDenied",
        _ => "Other",
    };
    format!("{} (errno {})", kind, e.raw_os_error().unwrap_or(-1))
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("dir entry");
            let t = e.file_type().expect("file_type");
            let kind = if t.is_dir() { "/" } else if t.is_symlink() { "@" } else { "" };
            format!("{}{}", e.file_name().to_string_lossy(), kind)
        })
        .collect();
    names.sort();
    names
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: fs DIR");
    let root = Path::new(&root);
    let out = root.join("out");

    fs::create_dir_all(out.join("a/b/c")).expect("create_dir_all");
    println!("create_dir again: {}", err(fs::create_dir(out.join("a")).unwrap_err()));

    fs::write(out.join("a/hello.txt"), b"hello\n").expect("write");
    let mut f = OpenOptions::new().append(true).open(out.join("a/hello.txt")).expect("open append");
    f.write_all(b"world\n").expect("append");
    drop(f);
    let text = fs::read_to_string(out.join("a/hello.txt")).expect("read_to_string");
    println!("hello.txt = {:?}", text);

    // Random access: overwrite in the middle, then read from an offset.
    let mut f = OpenOptions::new().read(true).write(true).open(out.join("a/hello.txt")).expect("open rw");
    f.seek(SeekFrom::Start(6)).expect("seek");
    f.write_all(b"WORLD").expect("overwrite");
    f.seek(SeekFrom::Start(3)).expect("seek 3");
    let mut tail = String::new();
    f.read_to_string(&mut tail).expect("read tail");
    println!("from offset 3 = {:?}", tail);
    f.set_len(5).expect("set_len");
    drop(f);

    let meta = fs::metadata(out.join("a/hello.txt")).expect("metadata");
    println!("hello.txt: is_file={} is_dir={} len={}", meta.is_file(), meta.is_dir(), meta.len());
    let meta = fs::metadata(out.join("a/b")).expect("metadata dir");
    println!("a/b: is_file={} is_dir={}", meta.is_file(), meta.is_dir());

    for i in (0..5).rev() {
        fs::write(out.join(format!("a/b/f{}", i)), format!("{}", i).repeat(i + 1)).expect("write f");
    }
    println!("a/b = {:?}", list(&out.join("a/b")));
    let total: u64 = fs::read_dir(out.join("a/b"))
        .expect("read_dir")
        .map(|e| e.expect("entry").metadata().expect("entry metadata"))
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    println!("a/b file bytes = {}", total);

    fs::rename(out.join("a/hello.txt"), out.join("a/b/c/moved.txt")).expect("rename");
    println!("old name: {}", err(fs::metadata(out.join("a/hello.txt")).unwrap_err()));
    println!("moved.txt = {:?}", fs::read_to_string(out.join("a/b/c/moved.txt")).expect("read moved"));
    fs::copy(out.join("a/b/c/moved.txt"), out.join("copy.txt")).expect("copy");

    fs::remove_file(out.join("a/b/f0")).expect("remove_file");
    println!("remove_file missing: {}", err(fs::remove_file(out.join("a/b/f0")).unwrap_err()));
    println!("remove_dir non-empty: {}", err(fs::remove_dir(out.join("a/b")).unwrap_err()));
    println!("open missing: {}", err(fs::File::open(out.join("nope/x")).unwrap_err()));
    println!("escape: {}", err(fs::read_to_string(root.join("../../etc/passwd")).unwrap_err()));
    fs::remove_dir_all(out.join("a/b/c")).expect("remove_dir_all");
    println!("a/b = {:?}", list(&out.join("a/b")));
    println!("out = {:?}", list(&out));
}
