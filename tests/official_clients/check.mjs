// The official @qlik/api client against `qops sim`: run by the integration test
// `official_clients::the_official_qlik_api_client_cannot_tell` with SIM_URL (the simulator's
// loopback address), QLIK_HOST (a tenant host name) and QLIK_TOKEN (a bearer it accepts).
//
// The simulator routes by Host header over plain HTTP and `*.qlik.localhost` need not resolve,
// so `fetch` is replaced by one that sends each request to SIM_URL with the URL's host in the
// Host header (and follows redirects the same way); everything else is @qlik/api's own code.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { auth } from "@qlik/api";
import users from "@qlik/api/users";
import groups from "@qlik/api/groups";

const sim = new URL(process.env.SIM_URL);
// Cookies of a JWT session (set by `session()` below): sent as a browser would.
let jar = "";

function send(url, init, hops) {
  const target = new URL(url);
  const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
  headers.host = target.host;
  if (jar) headers.cookie = jar;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: sim.hostname, port: sim.port, method: init.method ?? "GET", path: target.pathname + target.search, headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const location = res.headers.location;
          if (res.statusCode >= 300 && res.statusCode < 400 && location && init.redirect !== "manual" && hops < 5) {
            const next = new URL(location, target);
            resolve(send(next.href, { ...init, method: "GET", body: undefined }, hops + 1));
            return;
          }
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) out.append(k, Array.isArray(v) ? v.join(", ") : v);
          const empty = res.statusCode === 204 || res.statusCode === 304;
          const response = new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode, headers: out });
          Object.defineProperty(response, "url", { value: target.href });
          resolve(response);
        });
      },
    );
    req.on("error", reject);
    if (init.body !== undefined && init.body !== null) req.write(init.body);
    req.end();
  });
}

globalThis.fetch = (input, init = {}) => send(typeof input === "string" ? input : input.url ?? String(input), init, 0);

auth.setDefaultHostConfig({ authType: "apikey", host: process.env.QLIK_HOST, apiKey: process.env.QLIK_TOKEN });

function need(value, what) {
  if (!value) throw new Error(`missing ${what}`);
}

function checkUser(u) {
  for (const k of ["id", "name", "subject", "tenantId"]) need(typeof u[k] === "string", `User.${k}`);
}

function checkGroup(g) {
  for (const k of ["id", "name", "tenantId", "createdAt", "lastUpdatedAt"]) need(typeof g[k] === "string", `Group.${k}`);
  need(["active", "disabled"].includes(g.status), "Group.status");
  need(typeof g.links?.self?.href === "string", "Group.links.self.href");
}

const list = await users.getUsers({ limit: 1, totalResults: true });
need(list.status === 200, "users 200");
list.data.data.forEach(checkUser);
need(typeof list.data.totalResults === "number", "totalResults");
if (list.next) (await list.next()).data.data.forEach(checkUser);
const me = await users.getMyUser();
checkUser(me.data);
const one = await users.getUser(me.data.id, { fields: "id,name" });
need(one.data.id === me.data.id && one.data.subject === undefined, "fields");
const count = await users.countUsersWithoutQuery();
need(typeof count.data.total === "number", "count");
console.log("ok users");

const made = await groups.createGroup({ name: "official-client" });
need(made.status === 201, "group 201");
checkGroup(made.data);
const all = await groups.getGroups({});
all.data.data.forEach(checkGroup);
const system = await groups.getGroups({ systemGroups: true });
system.data.data.forEach(checkGroup);
const filtered = await groups.filterGroups({ limit: 5 }, { filter: 'name eq "official-client"' });
need(filtered.data.data.length === 1, "filterGroups");
console.log("ok groups");

// A JWT authorization session (qlik.dev "Implement JWT authorization"), then @qlik/api's own
// cookie auth: it reads the CSRF token from /api/v1/csrf-token and sends it on writes.
if (process.env.JWT_KEY_FILE) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "RS256", kid: process.env.JWT_KID, typ: "JWT" };
  const claims = {
    iss: process.env.JWT_ISSUER, aud: "qlik.api/login/jwt-session", sub: process.env.JWT_SUB, subType: "user",
    name: "Via Session", email: "session@example.com", email_verified: true,
    jti: crypto.randomUUID(), iat: now, nbf: now, exp: now + 300,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = crypto.sign("sha256", Buffer.from(input), fs.readFileSync(process.env.JWT_KEY_FILE)).toString("base64url");
  const login = await fetch(`https://${process.env.QLIK_HOST}/login/jwt-session`, {
    method: "POST",
    headers: { authorization: `Bearer ${input}.${signature}` },
  });
  need(login.status === 200, `jwt-session 200 (got ${login.status})`);
  jar = login.headers.get("set-cookie").split(/,\s*(?=[^;=]+=)/).map((c) => c.split(";")[0]).join("; ");
  auth.setDefaultHostConfig({ authType: "cookie", host: process.env.QLIK_HOST });
  users.clearCache();
  const me = await users.getMyUser();
  need(me.data.subject === process.env.JWT_SUB, "session user");
  const written = await groups.createGroup({ name: "via-session" });
  need(written.status === 201, "write through the session");
  console.log("ok session");
}
