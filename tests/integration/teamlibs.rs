//! Team libraries: a library served from a local bare git repository (`file://`), added to a
//! project, imported, installed again in a fresh copy from the lock, updated, tampered with;
//! `qops new lib`; `qops test --junit` and `--jobs`.

use crate::util::{qops_in, temp_dir, Run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A sealed git set-up: its own HOME and global config, a fixed author.
struct Git {
    home: PathBuf,
}

impl Git {
    fn new(dir: &Path) -> Git {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("gitconfig"), "").unwrap();
        Git { home }
    }

    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            (
                "GIT_CONFIG_GLOBAL",
                self.home.join("gitconfig").display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("GIT_AUTHOR_NAME", "Team".into()),
            ("GIT_AUTHOR_EMAIL", "team@example.org".into()),
            ("GIT_COMMITTER_NAME", "Team".into()),
            ("GIT_COMMITTER_EMAIL", "team@example.org".into()),
        ]
    }

    #[track_caller]
    fn run(&self, cwd: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(cwd)
            .args(args)
            .envs(self.vars())
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `qops ARGS` in `cwd` with this git set-up.
    fn qops(&self, cwd: &Path, args: &[&str]) -> Run {
        let vars = self.vars();
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        qops_in(cwd, args, &vars)
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A library work tree at `dir/teamlib` and its bare remote `dir/teamlib.git` (file:// URL).
fn library_repo(git: &Git, dir: &Path, qops_req: &str) -> (PathBuf, String) {
    let work = dir.join("teamlib");
    write(
        &work.join("qops.toml"),
        &format!("[library]\nname = \"teamlib\"\nversion = \"1.0.0\"\ndescription = \"Team helpers\"\nqops = \"{qops_req}\"\n"),
    );
    write(
        &work.join("teamlib.rhai"),
        "/// Says who.\nfn who() { \"v1\" }\n",
    );
    git.run(&work, &["init", "-q", "-b", "main"]);
    git.run(&work, &["add", "-A"]);
    git.run(&work, &["commit", "-q", "-m", "v1"]);
    git.run(&work, &["tag", "v1"]);
    let bare = dir.join("teamlib.git");
    git.run(
        dir,
        &["clone", "-q", "--bare", "teamlib", bare.to_str().unwrap()],
    );
    git.run(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    (work, format!("file://{}", bare.display()))
}

fn lock_value(project: &Path, key: &str) -> String {
    let lock = std::fs::read_to_string(project.join("qops.lock")).unwrap();
    lock.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .unwrap_or_else(|| panic!("no {key} in {lock}"))
        .trim_end_matches('"')
        .to_string()
}

#[test]
fn a_git_library_is_added_imported_reinstalled_updated_and_guarded() {
    let dir = temp_dir("teamlib");
    let git = Git::new(&dir);
    let (work, url) = library_repo(&git, &dir, ">=0.2");
    let project = dir.join("project");
    write(
        &project.join("main.rhai"),
        "import \"teamlib\" as team;\nprint(team::who());\n",
    );

    let run = git.qops(
        &project,
        &["add", "teamlib", "--git", &url, "--rev", "main"],
    );
    run.ok();
    assert!(run.stdout.contains("added teamlib 1.0.0"), "{}", run.stdout);
    let manifest = std::fs::read_to_string(project.join("qops.toml")).unwrap();
    assert!(
        manifest.contains(&format!("teamlib = {{ git = \"{url}\", rev = \"main\" }}")),
        "{manifest}"
    );
    let v1 = git.run(&work, &["rev-parse", "HEAD"]);
    assert_eq!(lock_value(&project, "commit"), v1);
    let hash = lock_value(&project, "hash");
    assert!(hash.starts_with("sha256:"), "{hash}");
    let run = git.qops(&project, &["run", "main.rhai"]);
    run.ok();
    assert_eq!(run.stdout.trim(), "v1");

    // A colleague's fresh copy: the manifest, the lock and the script, nothing installed.
    let copy = dir.join("copy");
    for file in ["qops.toml", "qops.lock", "main.rhai"] {
        write(
            &copy.join(file),
            &std::fs::read_to_string(project.join(file)).unwrap(),
        );
    }
    let run = git.qops(&copy, &["run", "main.rhai"]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("teamlib: not installed (qops_modules/teamlib is missing)"),
        "{}",
        run.stderr
    );
    // The remote moves on; install still reproduces the locked commit and content.
    write(
        &work.join("teamlib.rhai"),
        "/// Says who.\nfn who() { \"v2\" }\n",
    );
    git.run(&work, &["commit", "-q", "-am", "v2"]);
    git.run(&work, &["push", "-q", "origin", "main"]);
    git.qops(&copy, &["install"]).ok();
    assert_eq!(lock_value(&copy, "commit"), v1);
    assert_eq!(lock_value(&copy, "hash"), hash);
    assert_eq!(
        std::fs::read_to_string(copy.join("qops.lock")).unwrap(),
        std::fs::read_to_string(project.join("qops.lock")).unwrap()
    );
    assert_eq!(
        git.qops(&copy, &["run", "main.rhai"]).ok().stdout.trim(),
        "v1"
    );

    // update moves to the branch's new tip and rewrites the lock.
    let run = git.qops(&copy, &["update", "teamlib"]);
    run.ok();
    let v2 = git.run(&work, &["rev-parse", "HEAD"]);
    assert!(run.stdout.contains("updated teamlib"), "{}", run.stdout);
    assert_eq!(lock_value(&copy, "commit"), v2);
    assert_ne!(lock_value(&copy, "hash"), hash);
    assert_eq!(
        git.qops(&copy, &["run", "main.rhai"]).ok().stdout.trim(),
        "v2"
    );

    // A tampered module is named with what differs; --allow-modified runs with a warning.
    let installed = copy.join("qops_modules/teamlib");
    write(
        &installed.join("teamlib.rhai"),
        "fn who() { \"tampered\" }\n",
    );
    write(&installed.join("extra.rhai"), "fn x() { 1 }\n");
    std::fs::remove_file(installed.join("qops.toml")).unwrap();
    for args in [&["run", "main.rhai"][..], &["check"], &["test"]] {
        let run = git.qops(&copy, args);
        run.fails_with(2);
        assert!(
            run.stderr.contains(
                "teamlib: modified in qops_modules/teamlib: changed: teamlib.rhai; added: extra.rhai; removed: qops.toml"
            ),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = git.qops(&copy, &["run", "main.rhai", "--allow-modified"]);
    run.ok();
    assert_eq!(run.stdout.trim(), "tampered");
    assert!(
        run.stderr.contains("warning: installed libraries differ"),
        "{}",
        run.stderr
    );
    // install puts the locked content back, and sweeps what an interrupted install left.
    let stale = copy.join("qops_modules/.install-teamlib-stale/lib");
    write(&stale.join("teamlib.rhai"), "fn who() { \"half\" }\n");
    git.qops(&copy, &["install"]).ok();
    assert!(!stale.exists());
    assert_eq!(
        git.qops(&copy, &["run", "main.rhai"]).ok().stdout.trim(),
        "v2"
    );

    // A pinned tag stays where it is on update.
    let run = git.qops(&project, &["add", "teamlib", "--git", &url, "--rev", "v1"]);
    run.ok();
    git.qops(&project, &["update"]).ok();
    assert_eq!(lock_value(&project, "commit"), v1);
}

#[test]
fn a_library_for_a_newer_qops_is_refused_naming_both_versions() {
    let dir = temp_dir("newer");
    let git = Git::new(&dir);
    let (_, url) = library_repo(&git, &dir, ">=99.0");
    let project = dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let run = git.qops(&project, &["add", "teamlib", "--git", &url]);
    run.fails_with(1);
    assert!(
        run.stderr.contains(&format!(
            "library teamlib 1.0.0 requires qops >=99.0, but this is qops {}",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        run.stderr
    );
    assert!(!project.join("qops_modules/teamlib").exists());
    assert!(!project.join("qops.lock").exists());
}

#[test]
fn hostile_revisions_and_names_never_reach_git() {
    let dir = temp_dir("hostile-rev");
    let git = Git::new(&dir);
    let (_, url) = library_repo(&git, &dir, ">=0.2");
    let project = dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let marker = dir.join("pwned");
    let rev = format!("--upload-pack=touch {}", marker.display());
    let run = git.qops(
        &project,
        &["add", "teamlib", "--git", &url, &format!("--rev={rev}")],
    );
    run.fails_with(2);
    assert!(run.stderr.contains("revision"), "{}", run.stderr);
    let run = git.qops(&project, &["add", "../up", "--git", &url]);
    run.fails_with(2);
    assert!(run.stderr.contains("library name"), "{}", run.stderr);
    let run = git.qops(&project, &["add", "x", "--git", "ext::sh -c touch% /tmp/x"]);
    run.fails_with(2);
    assert!(!marker.exists());
}

#[test]
fn a_new_library_passes_check_and_test_and_documents_itself() {
    let dir = temp_dir("newlib");
    let run = qops_in(&dir, &["new", "lib", "ops_helpers"], &[]);
    run.ok();
    let lib = dir.join("ops_helpers");
    for file in [
        "qops.toml",
        "ops_helpers.rhai",
        "ops_helpers_test.rhai",
        "README.md",
        ".github/workflows/qops.yml",
    ] {
        assert!(lib.join(file).is_file(), "{file}");
    }
    let readme = std::fs::read_to_string(lib.join("README.md")).unwrap();
    assert!(readme.contains("### `space_names(t)`"), "{readme}");
    assert!(
        readme.contains("The names of the tenant's spaces, sorted"),
        "{readme}"
    );
    let workflow = std::fs::read_to_string(lib.join(".github/workflows/qops.yml")).unwrap();
    assert!(
        workflow.contains("run: qops check") && workflow.contains("qops test"),
        "{workflow}"
    );
    let manifest = std::fs::read_to_string(lib.join("qops.toml")).unwrap();
    assert!(manifest.contains("qops = \">=0.2\""), "{manifest}");
    qops_in(&lib, &["check"], &[]).ok();
    let run = qops_in(&lib, &["test"], &[]);
    run.ok();
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    // Not over an existing directory.
    qops_in(&dir, &["new", "lib", "ops_helpers"], &[]).fails_with(2);
    // Its definitions declare the module by import path, once installed.
    let project = dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    qops_in(
        &project,
        &["add", "ops_helpers", "--path", "../ops_helpers"],
        &[],
    )
    .ok();
    // The project's own tests only: the installed library's were run in its repository.
    let run = qops_in(&project, &["test"], &[]);
    run.ok();
    assert!(run.stdout.contains("running 0 test(s)"), "{}", run.stdout);
    // A --path given from a subdirectory is recorded relative to the project root.
    std::fs::create_dir_all(project.join("scripts")).unwrap();
    qops_in(
        &project.join("scripts"),
        &["add", "again", "--path", "../../ops_helpers"],
        &[],
    )
    .ok();
    let manifest = std::fs::read_to_string(project.join("qops.toml")).unwrap();
    assert!(
        manifest.contains(r#"again = { path = "../ops_helpers" }"#),
        "{manifest}"
    );
    // While another install holds qops_modules, a second one refuses and leaves its staging
    // directories alone.
    let held = std::fs::File::open(project.join("qops_modules/.qops-install.lock")).unwrap();
    held.lock().unwrap();
    let staging = project.join("qops_modules/.install-again-running");
    std::fs::create_dir_all(&staging).unwrap();
    let run = qops_in(&project, &["install"], &[]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("another qops add, install or update is changing qops_modules"),
        "{}",
        run.stderr
    );
    assert!(staging.is_dir());
    drop(held);
    qops_in(&project, &["install"], &[]).ok();
    assert!(
        !staging.exists(),
        "a free install sweeps what a killed one left"
    );
    qops_in(&project, &["definitions", "defs"], &[]).ok();
    let defs = std::fs::read_to_string(project.join("defs/modules/ops_helpers.d.rhai")).unwrap();
    assert!(defs.contains("module \"ops_helpers\";"), "{defs}");
    assert!(defs.contains("fn space_names(t: ?) -> ?;"), "{defs}");
    let stdlib = std::fs::read_to_string(project.join("defs/modules/qlik-tenant.d.rhai")).unwrap();
    assert!(stdlib.contains("module \"qlik/tenant\";"), "{stdlib}");
}

/// The attributes of every `<tag>` element, in document order.
fn elements(xml: &str, tag: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == tag => {
                out.push(
                    e.attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                a.key.as_ref().to_string(),
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            )
                        })
                        .collect(),
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The text of every `<failure>` element.
fn failure_texts(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut inside, mut out) = (false, Vec::new());
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == "failure" => {
                inside = true;
                out.push(String::new());
            }
            Event::Text(t) if inside => {
                out.last_mut()
                    .unwrap()
                    .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
            }
            Event::GeneralRef(r) if inside => {
                let name = r.into_inner();
                let c = match name.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("entity {other}"),
                };
                out.last_mut().unwrap().push_str(c);
            }
            Event::End(e) if e.name().as_ref() == "failure" => inside = false,
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn junit_reports_suites_cases_and_failures_the_same_with_jobs() {
    let dir = temp_dir("junit");
    write(
        &dir.join("t/a_test.rhai"),
        "fn test_one() { assert(true); }\n\nfn test_two() {\n    assert_eq(1, 2, \"<one> & two\");\n}\n",
    );
    write(
        &dir.join("t/b_test.rhai"),
        "fn test_three() {\n    let t = tenant(env(\"QLIK_TENANT\"));\n    assert(t.users().len() > 0);\n}\n",
    );
    write(&dir.join("t/c_test.rhai"), "fn test_four() { }\n");
    let mut outputs = Vec::new();
    for jobs in ["1", "2"] {
        let report = format!("report-{jobs}.xml");
        let run = qops_in(
            &dir,
            &["test", "t", "--junit", &report, "--jobs", jobs],
            &[],
        );
        run.fails_with(1);
        assert!(
            run.stdout.trim_end().ends_with("3 passed, 1 failed"),
            "{}",
            run.stdout
        );
        let xml = std::fs::read_to_string(dir.join(&report)).unwrap();
        let top = &elements(&xml, "testsuites")[0];
        assert_eq!(
            (top["tests"].as_str(), top["failures"].as_str()),
            ("4", "1"),
            "{xml}"
        );
        let suites = elements(&xml, "testsuite");
        let names: Vec<&str> = suites.iter().map(|s| s["name"].as_str()).collect();
        assert_eq!(names, ["t/a_test.rhai", "t/b_test.rhai", "t/c_test.rhai"]);
        assert_eq!(suites[0]["tests"], "2");
        assert_eq!(suites[0]["failures"], "1");
        assert_eq!(suites[1]["failures"], "0");
        let cases = elements(&xml, "testcase");
        let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str()).collect();
        assert_eq!(names, ["test_one", "test_two", "test_three", "test_four"]);
        assert!(cases.iter().all(|c| c["time"].parse::<f64>().is_ok()));
        let failures = elements(&xml, "failure");
        assert_eq!(failures.len(), 1);
        assert_eq!(
            failures[0]["message"],
            "t/a_test.rhai:4:5: assert_eq failed: <one> & two"
        );
        let texts = failure_texts(&xml);
        assert!(texts[0].contains("left:  1"), "{}", texts[0]);
        // The printed results do not depend on --jobs (times aside).
        let stable: Vec<String> = run
            .stdout
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).to_string())
            .collect();
        outputs.push(stable);
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// A test file that does not compile, or misspells a name, stops the run before any test; CI
/// still gets a JUnit file saying which file and why.
#[test]
fn junit_names_the_files_that_stopped_the_run_before_any_test() {
    let dir = temp_dir("junit-broken");
    write(
        &dir.join("t/a_test.rhai"),
        "fn test_one() { assert(true); }\n",
    );
    write(
        &dir.join("t/b_test.rhai"),
        "fn test_two() {\n    let x = (1 + ;\n}\n",
    );
    write(
        &dir.join("t/c_test.rhai"),
        "fn test_three() {\n    asert(true);\n}\n",
    );
    let run = qops_in(&dir, &["test", "t", "--junit", "report.xml"], &[]);
    run.fails_with(2);
    assert!(!run.stdout.contains("test_one ... ok"), "{}", run.stdout);
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    let suites = elements(&xml, "testsuite");
    let names: Vec<&str> = suites.iter().map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["t/b_test.rhai", "t/c_test.rhai"], "{xml}");
    let cases = elements(&xml, "testcase");
    assert!(cases.iter().all(|c| c["name"] == "compile"), "{xml}");
    let failures = elements(&xml, "failure");
    assert_eq!(failures.len(), 2, "{xml}");
    assert!(
        failures[0]["message"].starts_with("t/b_test.rhai:2:"),
        "{xml}"
    );
    assert!(
        failures[1]["message"].starts_with("t/c_test.rhai:2:5: no function 'asert'"),
        "{xml}"
    );
}

#[test]
fn without_git_on_the_path_add_says_so() {
    let dir = temp_dir("nogit");
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let run = qops_in(
        &dir,
        &[
            "add",
            "teamlib",
            "--git",
            "https://git.example.org/teamlib.git",
        ],
        &[("PATH", empty.to_str().unwrap())],
    );
    run.fails_with(1);
    assert!(
        run.stderr.contains("git is not installed (or not on PATH)"),
        "{}",
        run.stderr
    );
    assert!(!dir.join("qops.toml").exists());
}
