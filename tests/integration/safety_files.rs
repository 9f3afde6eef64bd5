//! Files stay in their root and writes are atomic: each test is a defect of an earlier build
//! (issue 8), driven through the real binary.

use crate::util::*;
use std::path::Path;

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn write_json_refuses_a_directory_and_writes_nothing_beside_or_above_it() {
    let work = temp_dir("work");
    std::fs::create_dir(work.join("sub")).unwrap();
    for target in [".", "sub/", "sub", "..", "sub/.."] {
        let run = qops_in(
            &work,
            &["eval", &format!(r#"write_json("{target}", #{{a: 1}})"#)],
            &[],
        );
        run.fails_with(1);
        assert!(run.stderr.contains("directory"), "{target}: {}", run.stderr);
    }
    assert_eq!(entries(work.parent().unwrap()), ["work"]);
    assert_eq!(entries(&work), ["sub"]);
    assert!(entries(&work.join("sub")).is_empty());
}

#[test]
fn write_json_refuses_a_symlink_at_the_target_and_leaves_no_temp_file() {
    let work = temp_dir("work");
    std::fs::write(work.join("real.json"), "keep\n").unwrap();
    std::os::unix::fs::symlink(work.join("real.json"), work.join("out.json")).unwrap();
    let run = qops_in(&work, &["eval", r#"write_json("out.json", #{a: 1})"#], &[]);
    run.fails_with(1);
    assert!(
        run.stderr.contains("out.json: is a symbolic link"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(work.join("real.json")).unwrap(),
        "keep\n"
    );
    assert!(work.join("out.json").is_symlink());
    let run = qops_in(
        &work,
        &[
            "eval",
            r#"write_json("new.json", [1, 2]); read_json("new.json").len()"#,
        ],
        &[],
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "2");
    assert_eq!(entries(&work), ["new.json", "out.json", "real.json"]);
    assert_eq!(entries(work.parent().unwrap()), ["work"]);
}

#[test]
fn a_fifo_is_refused_as_a_script_module_data_file_or_key_without_blocking() {
    let work = temp_dir("work");
    mkfifo(&work.join("pipe.rhai"));
    mkfifo(&work.join("pipe"));
    std::fs::write(work.join("main.rhai"), "import \"pipe\" as p;\n").unwrap();
    let fifo_named = |run: &Run, path: &str| {
        assert!(
            run.stderr.contains(&format!(
                "{path}: is a FIFO (named pipe), not a regular file"
            )),
            "{}",
            run.stderr
        );
    };
    let run = qops_in(&work, &["run", "pipe.rhai"], &[]);
    run.fails_with(2);
    fifo_named(&run, "pipe.rhai");
    let run = qops_in(&work, &["check", "main.rhai"], &[]);
    run.fails_with(2);
    fifo_named(&run, "pipe.rhai");
    let run = qops_in(&work, &["run", "main.rhai"], &[]);
    run.fails_with(2);
    fifo_named(&run, "pipe.rhai");
    let run = qops_in(&work, &["run", "--no-check", "main.rhai"], &[]);
    run.fails_with(1);
    fifo_named(&run, "pipe.rhai");
    let run = qops_in(&work, &["eval", "--env-file", "pipe", "1"], &[]);
    run.fails_with(2);
    fifo_named(&run, "pipe");
    for script in [
        r#"read_text("pipe")"#,
        r#"read_json("pipe", #{})"#,
        r#"public_jwk("pipe")"#,
        r#"qseow("https://qseow.qlik.localhost", #{cert: "pipe", key: "pipe"})"#,
    ] {
        let run = qops_in(&work, &["eval", script], &[]);
        run.fails_with(1);
        fifo_named(&run, "pipe");
    }
}

#[test]
fn an_oversized_script_or_data_file_is_refused_with_its_size() {
    let work = temp_dir("work");
    let size = 65 * 1024 * 1024;
    for name in ["big.rhai", "big.json"] {
        let file = std::fs::File::create(work.join(name)).unwrap();
        file.set_len(size).unwrap();
    }
    let said = |path: &str| format!("{path}: file is {size} bytes, the limit is 64 MiB");
    let run = qops_in(&work, &["run", "big.rhai"], &[]);
    run.fails_with(2);
    assert!(run.stderr.contains(&said("big.rhai")), "{}", run.stderr);
    let run = qops_in(&work, &["eval", r#"read_json("big.json")"#], &[]);
    run.fails_with(1);
    assert!(run.stderr.contains(&said("big.json")), "{}", run.stderr);
}

#[test]
fn a_missing_allow_path_directory_is_an_error_at_start_up() {
    let work = temp_dir("work");
    let missing = work.join("no-such-dir");
    let run = qops_in(
        &work,
        &["eval", "1", "--allow-path", missing.to_str().unwrap()],
        &[],
    );
    run.fails_with(2);
    assert!(
        run.stderr
            .contains(&format!("--allow-path {}", missing.display())),
        "{}",
        run.stderr
    );
    let file = temp_file("not-a-dir", "x");
    let run = qops_in(
        &work,
        &["eval", "1", "--allow-path", file.to_str().unwrap()],
        &[],
    );
    run.fails_with(2);
    assert!(run.stderr.contains("not a directory"), "{}", run.stderr);
}

#[test]
fn key_paths_are_confined_like_every_other_file() {
    let work = temp_dir("work");
    let fixtures = repo_path("tests/fixtures");
    let rsa = fixtures.join("rsa-test-key.pem");
    let rsa = rsa.to_str().unwrap();
    for script in [
        format!(r#"public_jwk("{rsa}")"#),
        format!(r#"tenant("acme.us.qlik.localhost", #{{client_id: "c", private_key: "{rsa}"}})"#),
        format!(r#"region("us", #{{client_id: "c", private_key: "{rsa}"}})"#),
        format!(r#"qseow("https://qseow.qlik.localhost", #{{cert: "{rsa}", key: "{rsa}"}})"#),
    ] {
        let run = qops_in(&work, &["eval", &script], &[]);
        run.fails_with(1);
        assert!(
            run.stderr
                .contains(&format!("{rsa} is outside the working directory")),
            "{script}: {}",
            run.stderr
        );
    }
    let allowed = qops_in(
        &work,
        &[
            "eval",
            &format!(r#"public_jwk("{rsa}", "k1").kid"#),
            "--allow-path",
            fixtures.to_str().unwrap(),
        ],
        &[],
    );
    allowed.ok();
    assert_eq!(allowed.stdout.trim(), "k1");
}
