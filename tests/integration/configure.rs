//! Configuring a tenant: licenses, users and roles, groups, identity providers, OAuth clients,
//! spaces, API keys, authentication variants and raw calls, with their documented failures.

use crate::util::*;

const T: &str = "let t = tenant(env(\"QLIK_TENANT\"));\n";

fn script(sim: &Sim, body: &str) -> Run {
    sim.script(&format!("{T}{body}"), &[])
}

#[test]
fn license_assignments_report_each_item_and_keep_allotments_honest() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let before = t.license_overview().allotments.filter(|a| a.name == "professional")[0];
           let free = before.units - before.unitsUsed;
           let items = [];
           for i in 0..free + 1 { items.push(#{subject: `auth0|seat${i}`, type: "professional"}); }
           let results = t.add_license_assignments(items);
           print(`results ${results.len()}`);
           print(`first ${results[0].status}`);
           print(`last ${results[free].status} ${results[free].code}`);
           let after = t.license_overview().allotments.filter(|a| a.name == "professional")[0];
           print(`used ${after.unitsUsed == after.units}`);
           try { t.assign_license("auth0|one-more", "professional"); } catch (e) { print(`single ${e.status} ${e.code}`); }
           try { t.unassign_license("auth0|nobody", "analyzer"); } catch (e) { print(`missing ${e.status} ${e.code}`); }
           t.unassign_license("auth0|seat0", "professional");
           print(`freed ${t.license_overview().allotments.filter(|a| a.name == "professional")[0].unitsUsed == after.unitsUsed - 1}`);
           print(`listed ${t.license_assignments().len() > 20}`);
           let s = t.set_license_settings(#{autoAssignProfessional: false, autoAssignAnalyzer: true});
           print(`settings ${t.license_settings().autoAssignAnalyzer}`);"#,
    );
    run.ok();
    assert_eq!(run.line("first"), "201");
    assert_eq!(run.line("last"), "403 LICENSES-011");
    assert_eq!(run.line("used"), "true");
    assert_eq!(run.line("single"), "403 LICENSES-011");
    assert_eq!(run.line("missing"), "404 LICENSES-016");
    assert_eq!(run.line("freed"), "true");
    assert_eq!(run.line("listed"), "true");
    assert_eq!(run.line("settings"), "true");
}

#[test]
fn user_helpers_are_idempotent_and_invites_report_per_person() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let carol = t.find_user(#{email: "carol@acme.example"});
           print(`found ${carol.name}`);
           print(`none ${t.find_user(#{email: "nobody@acme.example"}) == ()}`);
           print(`add ${t.add_role(carol, "SharedSpaceCreator")} ${t.add_role(carol.id, "SharedSpaceCreator")}`);
           print(`roles ${t.user(carol.id).assignedRoles.map(|r| r.name)}`);
           print(`remove ${t.remove_role(carol, "SharedSpaceCreator")} ${t.remove_role(carol, "SharedSpaceCreator")}`);
           print(`set ${t.set_roles(carol, ["DataAdmin", "Developer"])} ${t.set_roles(carol, ["Developer", "DataAdmin"])}`);
           print(`filter ${t.filter_users(`email eq "carol@acme.example"`).len()}`);
           let invited = t.invite_users([#{email: "new@acme.example", name: "New Person"}, #{email: "alice@acme.example"}]);
           print(`invite ${invited[0].status} ${invited[1].status}`);
           print(`invited ${t.find_user(#{email: "new@acme.example"}).status}`);
           try { t.create_user(#{subject: carol.subject}); } catch (e) { print(`duplicate ${e.status}`); }
           try { t.users(`nickname eq "x"`); } catch (e) { print(`bad filter ${e.status}`); }"#,
    );
    run.ok();
    assert_eq!(run.line("found"), "Carol Consumer");
    assert_eq!(run.line("none"), "true");
    assert_eq!(run.line("add"), "true false");
    assert!(run.line("roles").contains("SharedSpaceCreator"));
    assert_eq!(run.line("remove"), "true false");
    assert_eq!(run.line("set"), "true false");
    assert_eq!(run.line("filter"), "1");
    assert_eq!(run.line("invite"), "ok error");
    assert_eq!(run.line("invited"), "invited");
    assert_eq!(run.line("duplicate"), "409");
    assert_eq!(run.line("bad filter"), "400");
}

#[test]
fn spaces_refuse_duplicates_and_non_empty_deletes_and_page_past_ten() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let s = t.create_space(#{name: "Sales", type: "shared", description: "x"});
           try { t.create_space(#{name: "sales", type: "managed"}); } catch (e) { print(`duplicate ${e.status}`); }
           try { t.create_space(#{name: "a/b", type: "shared"}); } catch (e) { print(`bad name ${e.status}`); }
           for i in 0..12 { t.create_space(#{name: `Space ${i}`, type: "data"}); }
           print(`listed ${t.spaces().len()}`);
           print(`data ${t.spaces(#{type: "data"}).len()}`);
           print(`renamed ${t.update_space(s.id, [#{op: "replace", path: "/name", value: "Sales EMEA"}]).name}`);
           let g = t.create_group(#{name: "Analysts"});
           try { t.create_group(#{name: "Analysts"}); } catch (e) { print(`group duplicate ${e.status}`); }
           let a = t.assign_space(s.id, #{type: "group", assigneeId: g.id, roles: ["producer"]});
           try { t.assign_space(s.id, #{type: "group", assigneeId: g.id, roles: ["publisher"]}); } catch (e) { print(`bad role ${e.status}`); }
           print(`members ${t.space_assignments(s.id).len()}`);
           t.post("/api/v1/apps", #{attributes: #{name: "Sales app", spaceId: s.id}});
           try { t.delete_space(s.id); } catch (e) { print(`not empty ${e.status}`); }
           let empty = t.create_space(#{name: "Empty", type: "managed"});
           t.delete_space(empty.id);
           print(`deleted ${t.spaces(#{name: "Empty"}).len()}`);"#,
    );
    run.ok();
    assert_eq!(run.line("duplicate"), "409");
    assert_eq!(run.line("bad name"), "400");
    assert_eq!(run.line("listed"), "13");
    assert_eq!(run.line("data"), "12");
    assert_eq!(run.line("renamed"), "Sales EMEA");
    assert_eq!(run.line("group duplicate"), "409");
    assert_eq!(run.line("bad role"), "400");
    assert_eq!(run.line("members"), "1");
    assert_eq!(run.line("not empty"), "412");
    assert_eq!(run.line("deleted"), "0");
}

#[test]
fn identity_providers_follow_the_protocol_rules_and_need_an_admin() {
    let sim = Sim::start(&[]);
    let pem = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    let keys = pem.parent().unwrap().to_str().unwrap().to_string();
    let run = sim.script(
        &format!(
            r#"{T}let pem = read_text("{}");
           let idp = t.create_idp(#{{protocol: "jwtAuth", provider: "external", interactive: false, active: true,
               description: "JWT", options: #{{issuer: "https://acme.example", staticKeys: [#{{kid: "k1", pem: pem}}]}}}});
           print(`created ${{idp.protocol}}`);
           try {{ t.create_idp(#{{protocol: "jwtAuth", provider: "external", options: #{{issuer: "https://x", staticKeys: [#{{kid: "a", pem: pem}}, #{{kid: "b", pem: pem}}]}}}}); }}
           catch (e) {{ print(`two keys ${{e.status}}`); }}
           try {{ t.create_idp(#{{protocol: "jwtAuth", provider: "external", tenantIds: ["someone-else"], options: #{{issuer: "https://y", staticKeys: [#{{kid: "a", pem: pem}}]}}}}); }}
           catch (e) {{ print(`foreign ${{e.status}}`); }}
           try {{ t.create_idp(#{{protocol: "qsefw-local-bearer-token", provider: "qlik", interactive: false, description: "mc0", base64Encoded: "ZXhhbXBsZQ=="}}); }}
           catch (e) {{ print(`garbage token ${{e.status}}`); }}
           let site = qseow(env("QLIK_QSEOW"), #{{}});
           site.create_deployment(#{{name: "Cfg", api_endpoint: `https://${{t.host}}`}});
           let mc1 = t.create_idp(#{{protocol: "qsefw-local-bearer-token", provider: "qlik", interactive: false, description: "mc1", base64Encoded: site.deployment_token("Cfg")}});
           let mc2 = t.create_idp(#{{protocol: "qsefw-local-bearer-token", provider: "qlik", interactive: false, description: "mc2", options: #{{issuer: "qseow", staticKeys: [#{{kid: "d1", pem: pem}}]}}}});
           print(`multicloud ${{mc1.protocol}} ${{mc2.protocol}}`);
           t.update_idp(idp.id, [#{{op: "replace", path: "/description", value: "JWT v2"}}]);
           print(`patched ${{t.idp(idp.id).description}}`);
           print(`count ${{t.idps().len()}}`);
           print(`status ${{type_of(t.idp_status().idps_metadata)}}`);
           t.delete_idp(mc1.id);
           print(`after delete ${{t.idps().len()}}`);"#,
            pem.display()
        ),
        &["--allow-path", &keys],
    );
    run.ok();
    assert_eq!(run.line("created"), "jwtAuth");
    assert_eq!(run.line("two keys"), "400");
    assert_eq!(run.line("foreign"), "403");
    assert_eq!(run.line("garbage token"), "400");
    assert_eq!(
        run.line("multicloud"),
        "qsefw-local-bearer-token qsefw-local-bearer-token"
    );
    assert_eq!(run.line("patched"), "JWT v2");
    assert_eq!(run.line("status"), "array");
    let count: usize = run.line("count").parse().unwrap();
    assert_eq!(run.line("after delete"), (count - 1).to_string());
}

#[test]
fn oauth_clients_authenticate_by_secret_key_or_as_a_user_and_stay_on_their_tenant() {
    let sim = Sim::start(&[]);
    let fixtures = repo_path("tests/fixtures");
    let rsa = fixtures.join("rsa-test-key.pem");
    let ec = fixtures.join("ec384-test-key.pem");
    let run = sim.script(
        &format!(
            r#"{T}let host = env("QLIK_TENANT");
           let c = t.create_oauth_client(#{{clientName: "automation", appType: "web",
               allowedGrantTypes: ["client_credentials", "urn:qlik:oauth:user-impersonation"], allowedScopes: ["user_default"]}});
           print(`secret shown ${{c.clientSecret.len() > 10}}`);
           let own = tenant(host, #{{client_id: c.clientId, client_secret: c.clientSecret}});
           print(`bot ${{own.me().name}}`);
           let carol = t.find_user(#{{email: "carol@acme.example"}});
           let as_carol = own.as_user(#{{subject: carol.subject}});
           print(`as ${{as_carol.me().name}}`);
           try {{ as_carol.create_group(#{{name: "nope"}}); }} catch (e) {{ print(`carol forbidden ${{e.status}}`); }}
           let other = region("us").create_tenant(#{{licenseKey: t.license_key()}}).hostnames[0];
           try {{ tenant(other, #{{client_id: c.clientId, client_secret: c.clientSecret}}).me(); }} catch (e) {{ print(`elsewhere ${{e.status}}`); }}
           let k = t.create_oauth_client(#{{clientName: "keyed", appType: "web", allowedGrantTypes: ["client_credentials"],
               allowedAuthMethods: ["private_key_jwt"], publicKeys: [public_jwk("{rsa}", "rsa-1"), public_jwk("{ec}", "ec-1")]}});
           print(`rsa ${{tenant(host, #{{client_id: k.clientId, private_key: "{rsa}", kid: "rsa-1"}}).me().name}}`);
           print(`ec ${{tenant(host, #{{client_id: k.clientId, private_key: "{ec}", kid: "ec-1"}}).me().name}}`);
           try {{ t.request("DELETE", `/api/v1/oauth-clients/${{c.clientId}}`, (), #{{}}); }} catch (e) {{ print(`unconfirmed ${{e.status}}`); }}
           for i in 0..4 {{ t.create_client_secret(c.clientId); }}
           try {{ t.create_client_secret(c.clientId); }} catch (e) {{ print(`sixth secret ${{e.status}}`); }}
           t.delete_oauth_client(c.clientId);
           print(`left ${{t.oauth_clients().len()}}`);
           let key = t.create_api_key(#{{description: "ci"}});
           print(`api key ${{tenant(host, #{{api_key: key.token}}).me().id == t.me().id}}`);
           print(`keys ${{t.api_keys().len()}}`);"#,
            rsa = rsa.display(),
            ec = ec.display()
        ),
        &["--allow-path", fixtures.to_str().unwrap()],
    );
    run.ok();
    assert_eq!(run.line("secret shown"), "true");
    assert_eq!(run.line("bot"), "automation");
    assert_eq!(run.line("as"), "Carol Consumer");
    assert_eq!(run.line("carol forbidden"), "403");
    assert_eq!(run.line("elsewhere"), "401");
    assert_eq!(run.line("rsa"), "keyed");
    assert_eq!(run.line("ec"), "keyed");
    assert_eq!(run.line("unconfirmed"), "412");
    assert_eq!(run.line("sixth secret"), "409");
    assert_eq!(run.line("left"), "1");
    assert_eq!(run.line("api key"), "true");
    assert_eq!(run.line("keys"), "1");
    assert!(!run.stdout.contains("clientSecret") && !run.stderr.contains("BEGIN PRIVATE KEY"));
}

#[test]
fn raw_calls_share_auth_retries_and_errors() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"print(`count ${t.get("/api/v1/users/actions/count").total}`);
           print(`all ${t.get_all("/api/v1/users?limit=2").len() == t.count_users()}`);
           let g = t.post("/api/v1/groups", #{name: "Raw"});
           let r = t.request("GET", "/api/v1/users/me", (), #{});
           print(`request ${r.status} ${r.body.name}`);
           try { t.get("/api/v1/nothing-here"); } catch (e) { print(`missing ${e.status}`); }
           try { t.get("https://evil.example/api"); } catch (e) { print(`elsewhere ${e.kind}`); }"#,
    );
    run.ok();
    assert!(run.line("count").parse::<u32>().unwrap() > 5);
    assert_eq!(run.line("all"), "true");
    assert_eq!(run.line("request"), "200 US OAuth Client");
    assert_eq!(run.line("missing"), "404");
    assert_eq!(run.line("elsewhere"), "usage");
}

#[test]
fn files_stay_in_the_working_tree() {
    let dir = temp_file(
        "users.csv",
        "email,name\nana@x.example,\"Ana, A.\"\nbo@x.example,Bo\n",
    );
    let dir = dir.parent().unwrap();
    let run = Run::from(
        qops_cmd()
            .current_dir(dir)
            .args([
                "eval",
                r#"let rows = read_csv("users.csv"); write_json("copy.json", rows);
                   let back = read_json("copy.json"); let d = read_json("absent.json", #{none: true});
                   `${back.len()} ${back[0].name} ${d.none}`"#,
            ])
            .output()
            .unwrap(),
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "2 Ana, A. true");
    let run = Run::from(
        qops_cmd()
            .current_dir(dir)
            .args(["eval", r#"read_text("/etc/hostname")"#])
            .output()
            .unwrap(),
    );
    run.fails_with(1);
    assert!(run.stderr.contains("--allow-path"), "{}", run.stderr);
}

#[test]
fn the_rest_of_the_configuration_surface_round_trips() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"print(`status ${t.license_status().status}`);
           print(`consumption ${type_of(t.license_consumption())}`);
           let before = t.group_settings();
           t.update_group_settings([#{op: "replace", path: "/autoCreateGroups", value: !before.autoCreateGroups}]);
           print(`group settings ${t.group_settings().autoCreateGroups != before.autoCreateGroups}`);
           let g = t.create_group(#{name: "Temp"});
           t.delete_group(g.id);
           print(`groups left ${t.groups(`name eq "Temp"`).len()}`);
           print(`metadata ${type_of(t.idp_metadata())}`);
           let c = t.create_oauth_client(#{clientName: "patch me", appType: "web", allowedGrantTypes: ["client_credentials"]});
           t.update_oauth_client(c.clientId, [#{op: "replace", path: "/description", value: "patched"}]);
           print(`client ${t.oauth_client(c.clientId).description}`);
           let s2 = t.create_client_secret(c.clientId);
           t.delete_client_secret(c.clientId, s2.hint);
           print(`secrets ${t.oauth_client(c.clientId).clientSecrets.len()}`);
           let s = t.create_space(#{name: "Roles", type: "managed"});
           let g2 = t.create_group(#{name: "Members"});
           let a = t.assign_space(s.id, #{type: "group", assigneeId: g2.id, roles: ["consumer"]});
           t.update_space_assignment(s.id, a.id, [#{op: "replace", path: "/roles", value: ["consumer", "contributor"]}]);
           print(`roles ${t.space_assignments(s.id)[0].roles.len()}`);
           t.unassign_space(s.id, a.id);
           print(`members ${t.space_assignments(s.id).len()}`);
           t.update_tenant([#{op: "replace", path: "/enableAppOpeningFeedback", value: true}]);
           print(`feedback ${t.info().enableAppOpeningFeedback}`);
           print(`renamed ${t.rename("Acme Corp").name}`);
           try { t.update_tenant([#{op: "replace", path: "/hostnames/0", value: "x"}]); } catch (e) { print(`hostname ${e.status}`); }"#,
    );
    run.ok();
    assert_eq!(run.line("status"), "Ok");
    assert_eq!(run.line("consumption"), "array");
    assert_eq!(run.line("group settings"), "true");
    assert_eq!(run.line("groups left"), "0");
    assert_eq!(run.line("metadata"), "map");
    assert_eq!(run.line("client"), "patched");
    assert_eq!(run.line("secrets"), "1");
    assert_eq!(run.line("roles"), "2");
    assert_eq!(run.line("members"), "0");
    assert_eq!(run.line("feedback"), "true");
    assert_eq!(run.line("renamed"), "Acme Corp");
    assert_eq!(run.line("hostname"), "400");
}
