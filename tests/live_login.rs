//! `--auth-mode login`: Microsoft Entra ID bearer tokens from each source of
//! the chain, end to end against the HTTPS Azurite that checks them
//! (`--oauth basic`, started by `.ci/azurite.sh`), with the token endpoints
//! as small servers on loopback, a stub `az` on PATH, and the certificate
//! authority of the test server trusted through `SSL_CERT_FILE`. Also:
//! proxies through `HTTPS_PROXY` and `NO_PROXY`.

#![cfg(feature = "remote")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use blobsel::plan::{ContainerScope, Plan};
use blobsel::remote::token::{AccessToken, ClientSecret, Http, TokenError, TokenSource};
use blobsel::remote::{ClientBuilder, Credential, Lister, TokenCredential, DEVELOPMENT_KEY};
use support::token_server::{ConnectProxy, Server, TENANT};
use support::*;

const SECRET: &str = "s3cr3t-Cl1ent~Value";

/// Seeds a container of the HTTPS Azurite (Shared Key, trusting `ca`);
/// returns its name and a selection file that selects all of it.
fn seed(url: &str, ca: &Path, dir: &Path, rows: usize) -> (String, String) {
    let pem = std::fs::read(ca).expect("the test CA");
    let client = builder(url, dev_key())
        .add_root_certificates(&pem)
        .build()
        .unwrap();
    let u = unique("login");
    create_container(&client, &u);
    for i in 0..rows {
        put_blob(&client, &u, &format!("d{}/b{i:03}", i % 3), b"x");
    }
    let sel = dir.join("sel.xml");
    std::fs::write(
        &sel,
        format!("<BlobList><BlobPathPrefix>/{u}/</BlobPathPrefix></BlobList>"),
    )
    .unwrap();
    (u, sel.display().to_string())
}

/// Runs blobsel with only the variables given (none of the developer's
/// Azure sign-ins leak in), trusting `ca`; the metadata endpoint is a closed
/// port unless `env` names another, so the chain never waits for it.
fn blobsel(args: &[&str], ca: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blobsel"));
    cmd.args(args)
        .env_clear()
        .env("SSL_CERT_FILE", ca)
        .env("PATH", "/nonexistent")
        .env("BLOBSEL_IMDS_ENDPOINT", "http://127.0.0.1:9/closed");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run blobsel")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts a successful preview of `rows` blobs of `container`, and that no
/// token or secret reached the output.
fn assert_listed(out: &Output, container: &str, rows: usize, tokens: &Server) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), rows, "{stdout}");
    assert!(
        stdout.contains(&format!("/{container}/d0/b000")),
        "{stdout}"
    );
    for secret in [SECRET, "eyJ"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{stderr}"
        );
    }
    assert!(!tokens.seen().is_empty(), "the token endpoint was asked");
}

fn preview<'a>(sel: &'a str, url: &'a str) -> Vec<&'a str> {
    vec![
        "preview",
        sel,
        "--account-url",
        url,
        "--auth-mode",
        "login",
        "--page-size",
        "3",
    ]
}

#[test]
fn a_service_principal_signs_in_with_its_client_secret() {
    let Some((url, ca)) = azurite_oauth("a_service_principal_signs_in_with_its_client_secret")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 10);
    let tokens = Server::tokens(Duration::from_secs(3600));
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "app-1"),
            ("AZURE_CLIENT_SECRET", SECRET),
            ("AZURE_AUTHORITY_HOST", &tokens.url),
        ],
    );
    assert_listed(&out, &u, 10, &tokens);
    let seen = tokens.seen();
    let asked = &seen[0];
    assert_eq!(asked.method, "POST");
    assert_eq!(asked.target, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(
        asked.form("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(asked.form("client_id").as_deref(), Some("app-1"));
    assert_eq!(asked.form("client_secret").as_deref(), Some(SECRET));
    assert_eq!(
        asked.form("scope").as_deref(),
        Some("https://storage.azure.com/.default")
    );
    // 16 requests in flight, one token.
    assert_eq!(seen.len(), 1, "the token is shared and kept");

    // The same, chosen by AZURE_STORAGE_AUTH_MODE instead of the option.
    let mut args = preview(&sel, &url);
    args.truncate(4);
    let out = blobsel(
        &args,
        &ca,
        &[
            ("AZURE_STORAGE_AUTH_MODE", "login"),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "app-1"),
            ("AZURE_CLIENT_SECRET", SECRET),
            ("AZURE_AUTHORITY_HOST", &tokens.url),
        ],
    );
    assert_listed(&out, &u, 10, &tokens);
}

/// Runs openssl, as a user makes a service principal's certificate.
fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (the tests make certificates with it, as .ci/azurite.sh does)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// The base64url parts of a JWT, decoded.
fn jwt_parts(jwt: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    jwt.split('.')
        .map(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .expect("base64url")
        })
        .collect()
}

#[test]
fn a_service_principal_signs_in_with_its_client_certificate() {
    use base64::Engine;
    let Some((url, ca)) = azurite_oauth("a_service_principal_signs_in_with_its_client_certificate")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 10);
    let path = |name: &str| dir.path().join(name).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=blobsel-sp",
        "-keyout",
        &path("key.pem"),
        "-out",
        &path("cert.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &path("key.pem"),
        "-traditional",
        "-out",
        &path("rsa.pem"),
    ]);
    openssl(&[
        "x509",
        "-in",
        &path("cert.pem"),
        "-outform",
        "DER",
        "-out",
        &path("cert.der"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &path("key.pem"),
        "-RSAPublicKey_out",
        "-outform",
        "DER",
        "-out",
        &path("public.der"),
    ]);
    let cert = std::fs::read_to_string(path("cert.pem")).unwrap();
    let der = std::fs::read(path("cert.der")).unwrap();
    let public = std::fs::read(path("public.der")).unwrap();
    // The key as PKCS#8 (`PRIVATE KEY`, openssl's default) and as PKCS#1
    // (`RSA PRIVATE KEY`), before or after the certificate.
    let pkcs8 = std::fs::read_to_string(path("key.pem")).unwrap();
    let pkcs1 = std::fs::read_to_string(path("rsa.pem")).unwrap();
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY") && pkcs8.contains("BEGIN PRIVATE KEY"));
    std::fs::write(path("sp8.pem"), format!("{pkcs8}{cert}")).unwrap();
    std::fs::write(path("sp1.pem"), format!("{cert}{pkcs1}")).unwrap();
    for file in ["sp8.pem", "sp1.pem"] {
        let tokens = Server::tokens(Duration::from_secs(3600));
        let file = path(file);
        let out = blobsel(
            &preview(&sel, &url),
            &ca,
            &[
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "app-2"),
                ("AZURE_CLIENT_CERTIFICATE_PATH", &file),
                ("AZURE_AUTHORITY_HOST", &tokens.url),
            ],
        );
        assert_listed(&out, &u, 10, &tokens);
        let seen = tokens.seen();
        let asked = &seen[0];
        assert_eq!(asked.target, format!("/{TENANT}/oauth2/v2.0/token"));
        assert_eq!(
            asked.form("grant_type").as_deref(),
            Some("client_credentials")
        );
        assert_eq!(asked.form("client_id").as_deref(), Some("app-2"));
        assert_eq!(asked.form("client_secret"), None);
        assert_eq!(
            asked.form("client_assertion_type").as_deref(),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(
            asked.form("scope").as_deref(),
            Some("https://storage.azure.com/.default")
        );
        let assertion = asked.form("client_assertion").expect("a client assertion");
        assert!(!text(&out.stderr).contains(&assertion[..40]));
        let parts = jwt_parts(&assertion);
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value = serde_json::from_slice(&parts[0]).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&parts[1]).unwrap();
        let b64 = |d: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(
            header["x5t"],
            b64(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref())
        );
        assert_eq!(
            header["x5t#S256"],
            b64(ring::digest::digest(&ring::digest::SHA256, &der).as_ref())
        );
        assert!(header.get("x5c").is_none(), "the chain only when asked for");
        assert_eq!(
            claims["aud"],
            format!("{}/{TENANT}/oauth2/v2.0/token", tokens.url)
        );
        assert_eq!(
            (&claims["iss"], &claims["sub"]),
            (&"app-2".into(), &"app-2".into())
        );
        let (nbf, exp) = (
            claims["nbf"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert_eq!(exp - nbf, 600);
        assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
        // Signed with the certificate's key.
        let signed = assertion.rsplit_once('.').unwrap().0;
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &public,
        )
        .verify(signed.as_bytes(), &parts[2])
        .expect("the assertion's signature verifies with the certificate's public key");
    }

    // A PFX's password: a clear error, no sign-in as anyone else.
    let tokens = Server::tokens(Duration::from_secs(3600));
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "app-2"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", &path("sp8.pem")),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw"),
            ("AZURE_AUTHORITY_HOST", &tokens.url),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("openssl pkcs12"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("pw\""));
    assert!(tokens.seen().is_empty());
}

#[test]
fn a_rejected_secret_is_a_clear_error_without_the_secret() {
    let Some((url, ca)) = azurite_oauth("a_rejected_secret_is_a_clear_error_without_the_secret")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, sel) = seed(&url, &ca, dir.path(), 1);
    let refuse = Server::start(Box::new(|_| {
        (
            401,
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#
                .into(),
        )
    }));
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "app-1"),
            ("AZURE_CLIENT_SECRET", SECRET),
            ("AZURE_AUTHORITY_HOST", &refuse.url),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("service principal (client secret): HTTP 401")
            && stderr.contains("invalid_client: AADSTS7000215: Invalid client secret provided."),
        "{stderr}"
    );
    assert!(
        !stderr.contains(SECRET) && !stderr.contains("Trace ID"),
        "{stderr}"
    );
}

/// A token endpoint answering 400 with `error_description` quoting what it
/// was sent: the form body (so a secret shows form-encoded, and again
/// JSON-escaped where the body has `/` or `&`) and the identity header.
fn echoing_endpoint() -> Server {
    Server::start(Box::new(|seen| {
        let said = format!(
            "bad request: {} header={}",
            seen.body,
            seen.header("x-identity-header").unwrap_or("")
        );
        let json = serde_json::json!({"error": "invalid_request", "error_description": said});
        // serde_json leaves `/` and `&` as they are; escape them as some
        // services do.
        let body = json.to_string().replace('/', "\\/").replace('&', "\\u0026");
        (400, body)
    }))
}

#[test]
fn secrets_echoed_back_form_encoded_or_json_escaped_stay_redacted() {
    let Some((url, ca)) = azurite_oauth("secrets_echoed_back_form_encoded") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, sel) = seed(&url, &ca, dir.path(), 1);
    // Characters that form encoding changes (issue 13, finding 2).
    let secret = "Xq8~ab/cd+EF=gh&ij";
    let echo = echoing_endpoint();
    let file = dir.path().join("federated-token");
    std::fs::write(&file, secret).unwrap();
    let msi = format!("{}/msi/token", echo.url);
    let cases: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "service principal (client secret): HTTP 400",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "app-1"),
                ("AZURE_CLIENT_SECRET", secret),
                ("AZURE_AUTHORITY_HOST", &echo.url),
            ],
        ),
        (
            "workload identity: HTTP 400",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "wl-app"),
                ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
                ("AZURE_AUTHORITY_HOST", &echo.url),
            ],
        ),
        (
            "managed identity: HTTP 400",
            vec![("IDENTITY_ENDPOINT", &msi), ("IDENTITY_HEADER", secret)],
        ),
    ];
    for (what, env) in cases {
        let out = blobsel(&preview(&sel, &url), &ca, &env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(what) && stderr.contains("<redacted>"),
            "{what}: {stderr}"
        );
        // Neither the secret nor any piece of its encodings shows.
        for piece in ["Xq8", "EF", "gh", "ij"] {
            assert!(!stderr.contains(piece), "{what}: {piece:?} in {stderr}");
        }
    }
}

#[test]
fn workload_identity_sends_the_federated_token_as_client_assertion() {
    let Some((url, ca)) =
        azurite_oauth("workload_identity_sends_the_federated_token_as_client_assertion")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 4);
    let file = dir.path().join("federated-token");
    std::fs::write(&file, "federated.jwt.value\n").unwrap();
    let tokens = Server::tokens(Duration::from_secs(3600));
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "wl-app"),
            ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
            ("AZURE_AUTHORITY_HOST", &tokens.url),
        ],
    );
    assert_listed(&out, &u, 4, &tokens);
    let asked = &tokens.seen()[0];
    assert_eq!(asked.form("client_id").as_deref(), Some("wl-app"));
    assert_eq!(
        asked.form("client_assertion").as_deref(),
        Some("federated.jwt.value")
    );
    assert_eq!(
        asked.form("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert!(
        !text(&out.stderr).contains("federated.jwt.value"),
        "the assertion is a secret"
    );
}

#[test]
fn a_managed_identity_signs_in_on_app_service_and_through_the_metadata_endpoint() {
    let Some((url, ca)) = azurite_oauth("a_managed_identity_signs_in") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 5);

    // App Service: IDENTITY_ENDPOINT with IDENTITY_HEADER.
    let tokens = Server::tokens(Duration::from_secs(3600));
    let endpoint = format!("{}/msi/token", tokens.url);
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("IDENTITY_ENDPOINT", &endpoint),
            ("IDENTITY_HEADER", "hdr-value-123"),
        ],
    );
    assert_listed(&out, &u, 5, &tokens);
    let asked = &tokens.seen()[0];
    assert_eq!(asked.method, "GET");
    assert!(
        asked
            .target
            .starts_with("/msi/token?api-version=2019-08-01&resource=https://storage.azure.com/"),
        "{}",
        asked.target
    );
    assert_eq!(asked.header("x-identity-header"), Some("hdr-value-123"));

    // A VM: the instance metadata endpoint (moved to loopback for the test),
    // with a user-assigned identity picked by AZURE_CLIENT_ID.
    let imds = Server::tokens(Duration::from_secs(3600));
    let endpoint = format!("{}/metadata/identity/oauth2/token", imds.url);
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[
            ("BLOBSEL_IMDS_ENDPOINT", &endpoint),
            ("AZURE_CLIENT_ID", "user-assigned-1"),
        ],
    );
    assert_listed(&out, &u, 5, &imds);
    let asked = &imds.seen()[0];
    assert_eq!(asked.header("metadata"), Some("true"));
    assert!(
        asked.target.contains("api-version=2018-02-01")
            && asked.target.contains("&client_id=user-assigned-1"),
        "{}",
        asked.target
    );
}

/// A stub `az` in a new directory: it records its arguments and prints a
/// token the way `az account get-access-token -o json` does.
fn stub_az(dir: &Path, token: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    let log = dir.join("az-args");
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\ncat <<'JSON'\n{{\n  \"accessToken\": \"{token}\",\n  \
             \"expiresOn\": \"2099-01-01 00:00:00.000000\",\n  \"expires_on\": {expires},\n  \
             \"subscription\": \"sub\",\n  \"tenant\": \"{TENANT}\",\n  \"tokenType\": \"Bearer\"\n}}\nJSON\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn the_azure_cli_signed_in_user_is_the_last_resort() {
    let Some((url, ca)) = azurite_oauth("the_azure_cli_signed_in_user_is_the_last_resort") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 7);
    let token = support::token_server::mint_jwt(Duration::from_secs(3600));
    let bin = stub_az(dir.path(), &token);
    let out = blobsel(
        &preview(&sel, &url),
        &ca,
        &[("PATH", &format!("{}:/usr/bin:/bin", bin.display()))],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 7, "{stdout}");
    assert!(!stdout.contains(&token) && !stderr.contains(&token));
    let args = std::fs::read_to_string(dir.path().join("az-args")).unwrap();
    assert_eq!(
        args.trim(),
        "account get-access-token --resource https://storage.azure.com/ --output json"
    );
    assert_eq!(args.lines().count(), 1, "one token for the whole listing");
    assert!(stdout.contains(&format!("/{u}/")));
}

/// A source whose variables are all set but unusable (an authority host
/// without a scheme) stops the chain with its error: no other identity (here
/// the Azure CLI's, and the metadata endpoint's) signs in in its place
/// (issue 13, finding 4).
#[test]
fn a_configured_source_with_a_bad_authority_host_stops_the_chain() {
    let Some((url, ca)) = azurite_oauth("a_configured_source_with_a_bad_authority_host") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, sel) = seed(&url, &ca, dir.path(), 1);
    let token = support::token_server::mint_jwt(Duration::from_secs(3600));
    let bin = stub_az(dir.path(), &token);
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let imds = Server::tokens(Duration::from_secs(3600));
    let imds_url = format!("{}/metadata/identity/oauth2/token", imds.url);
    let file = dir.path().join("federated-token");
    std::fs::write(&file, "federated.jwt.value").unwrap();
    let file = file.display().to_string();
    let cases: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "service principal (client secret): AZURE_AUTHORITY_HOST \"127.0.0.1:47001\"",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "app-1"),
                ("AZURE_CLIENT_SECRET", SECRET),
            ],
        ),
        (
            "workload identity: AZURE_AUTHORITY_HOST \"127.0.0.1:47001\"",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "wl-app"),
                ("AZURE_FEDERATED_TOKEN_FILE", &file),
            ],
        ),
        (
            "service principal (client secret): AZURE_AUTHORITY_HOST \"ftp://127.0.0.1:47001\"",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "app-1"),
                ("AZURE_CLIENT_SECRET", SECRET),
                ("AZURE_AUTHORITY_HOST", "ftp://127.0.0.1:47001"),
            ],
        ),
    ];
    for (said, mut env) in cases {
        if !env.iter().any(|(k, _)| *k == "AZURE_AUTHORITY_HOST") {
            env.push(("AZURE_AUTHORITY_HOST", "127.0.0.1:47001"));
        }
        env.push(("PATH", &path));
        env.push(("BLOBSEL_IMDS_ENDPOINT", &imds_url));
        let out = blobsel(&preview(&sel, &url), &ca, &env);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{said}: {stderr}");
        assert!(stdout.is_empty(), "{said}: {stdout}");
        assert!(
            stderr.contains(said)
                && stderr.contains("must begin with https://")
                && stderr.contains("or http:// to a loopback address"),
            "{said}: {stderr}"
        );
        assert!(!stderr.contains(SECRET), "{stderr}");
        assert!(
            !dir.path().join("az-args").exists(),
            "{said}: `az` was asked for a token"
        );
        assert!(
            imds.seen().is_empty(),
            "{said}: the metadata endpoint was asked"
        );
    }
}

#[test]
fn without_any_credential_the_error_says_what_each_source_lacked() {
    let Some((url, ca)) = azurite_oauth("without_any_credential_the_error_says") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, sel) = seed(&url, &ca, dir.path(), 1);
    let out = blobsel(&preview(&sel, &url), &ca, &[("AZURE_CLIENT_ID", "x")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for part in [
        "no Microsoft Entra ID credential found",
        "service principal (client secret): AZURE_TENANT_ID, AZURE_CLIENT_SECRET are not set",
        "service principal (client certificate): AZURE_TENANT_ID, AZURE_CLIENT_CERTIFICATE_PATH are not set",
        "workload identity: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID are not set",
        "managed identity: IDENTITY_ENDPOINT is not set and no instance metadata endpoint answered",
        "Azure CLI: `az` is not on PATH",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
}

#[test]
fn a_bearer_token_is_never_sent_over_http() {
    let Some(plain) = azurite("a_bearer_token_is_never_sent_over_http") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sel = dir.path().join("sel.xml");
    std::fs::write(
        &sel,
        "<BlobList><BlobPathPrefix>/c/</BlobPathPrefix></BlobList>",
    )
    .unwrap();
    let tokens = Server::tokens(Duration::from_secs(3600));
    let out = blobsel(
        &preview(sel.to_str().unwrap(), &plain),
        Path::new("/nonexistent-but-unread"),
        &[
            ("SSL_CERT_FILE", ""),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", "app-1"),
            ("AZURE_CLIENT_SECRET", SECRET),
            ("AZURE_AUTHORITY_HOST", &tokens.url),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sent only over https://"), "{stderr}");
    assert!(tokens.seen().is_empty(), "no token was even asked for");
    // The library refuses too.
    let e = ClientBuilder::new(&plain)
        .credential(Credential::Token(TokenCredential::from_env(&|_| None)))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("only over https://"), "{e}");
}

#[test]
fn a_token_that_expires_mid_listing_is_renewed() {
    let Some((url, ca)) = azurite_oauth("a_token_that_expires_mid_listing_is_renewed") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, _) = seed(&url, &ca, dir.path(), 24);
    // Tokens live 3 s (renewed after 2 s); the listing takes about 5 s.
    let tokens = Server::tokens(Duration::from_secs(3));
    let env = |k: &str| match k {
        "AZURE_TENANT_ID" => Some(TENANT.to_string()),
        "AZURE_CLIENT_ID" => Some("app-1".to_string()),
        "AZURE_CLIENT_SECRET" => Some(SECRET.to_string()),
        "AZURE_AUTHORITY_HOST" => Some(tokens.url.clone()),
        _ => None,
    };
    let source = ClientSecret::from_env(&env).unwrap();
    let pem = std::fs::read(&ca).unwrap();
    let client = builder(&url, Credential::Token(TokenCredential::new(source)))
        .add_root_certificates(&pem)
        .max_results(2)
        .build()
        .unwrap();
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let mut n = 0;
    let stats = Lister::new(&client)
        .concurrency(1)
        .list(&plan, &mut |_| {
            std::thread::sleep(Duration::from_millis(200));
            n += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 24);
    assert_eq!(stats.retries, 0, "no request was refused");
    let asked = tokens.seen().len();
    assert!(asked >= 2, "the token was renewed ({asked} tokens)");
    assert!(asked <= 4, "and not for every request ({asked} tokens)");
}

#[test]
fn https_proxy_is_used_unless_no_proxy_names_the_host() {
    let Some((url, ca)) = azurite_oauth("https_proxy_is_used_unless_no_proxy_names_the_host")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, sel) = seed(&url, &ca, dir.path(), 3);
    let proxy = ConnectProxy::start();
    let port = url
        .trim_start_matches("https://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let args = [
        "preview",
        sel.as_str(),
        "--account-url",
        url.as_str(),
        "--concurrency",
        "2",
    ];
    let key = [("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)];
    let with = |extra: &[(&str, &str)]| {
        let mut env = key.to_vec();
        env.extend_from_slice(extra);
        blobsel(&args, &ca, &env)
    };
    let out = with(&[("HTTPS_PROXY", &proxy.url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 3);
    assert!(text(&out.stdout).contains(&format!("/{u}/")));
    let through = proxy.targets();
    assert!(!through.is_empty(), "the proxy was used");
    assert!(
        through.iter().all(|t| *t == format!("127.0.0.1:{port}")),
        "{through:?}"
    );

    for no_proxy in ["127.0.0.1", "localhost,127.0.0.1", "*"] {
        let before = proxy.targets().len();
        let out = with(&[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", no_proxy)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            proxy.targets().len(),
            before,
            "NO_PROXY={no_proxy}: skipped"
        );
    }
    // HTTP_PROXY is for http:// URLs, not this one.
    let before = proxy.targets().len();
    let out = with(&[("HTTP_PROXY", &proxy.url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(proxy.targets().len(), before);

    // HTTP_PROXY is for http:// URLs: the plain Azurite through it.
    if let Some(plain) = azurite("https_proxy_is_used_unless_no_proxy_names_the_host") {
        let plain_port = plain
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let sel_plain = dir.path().join("plain.xml");
        std::fs::write(
            &sel_plain,
            "<BlobList><BlobPathPrefix>/$root/nothing-here/</BlobPathPrefix></BlobList>",
        )
        .unwrap();
        let mut env = key.to_vec();
        env.push(("HTTP_PROXY", &proxy.url));
        let out = blobsel(
            &[
                "preview",
                sel_plain.to_str().unwrap(),
                "--account-url",
                &plain,
            ],
            &ca,
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let targets = proxy.targets();
        assert!(
            targets.contains(&format!("127.0.0.1:{plain_port}")),
            "{targets:?}"
        );
    }

    // Without SSL_CERT_FILE the test authority is not trusted.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blobsel"));
    let out = cmd
        .args(args)
        .env_clear()
        .env("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("certificate") && stderr.contains("SSL_CERT_FILE"),
        "{stderr}"
    );
    assert!(!stderr.contains("tries"), "not retried: {stderr}");
}

/// A token source that gives the tokens of `tokens` in turn, each said to
/// be good for an hour (as a client whose clock is off would believe).
struct Scripted {
    tokens: std::sync::Mutex<Vec<String>>,
    calls: std::sync::atomic::AtomicUsize,
}

impl TokenSource for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn get_token(&self, _: &Http) -> Result<AccessToken, TokenError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut tokens = self.tokens.lock().unwrap();
        let token = if tokens.len() > 1 {
            tokens.remove(0)
        } else {
            tokens[0].clone()
        };
        let hour = std::time::SystemTime::now() + Duration::from_secs(3600);
        Ok(AccessToken::new(token, hour))
    }
}

#[test]
fn a_token_the_service_refuses_is_replaced_once_then_reported() {
    let Some((url, ca)) = azurite_oauth("a_token_the_service_refuses_is_replaced_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (u, _) = seed(&url, &ca, dir.path(), 6);
    let pem = std::fs::read(&ca).unwrap();
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let expired = support::token_server::mint_jwt_expiring(-120);
    let good = support::token_server::mint_jwt(Duration::from_secs(3600));
    let source = std::sync::Arc::new(Scripted {
        tokens: std::sync::Mutex::new(vec![expired.clone(), good]),
        calls: Default::default(),
    });
    struct Shared(std::sync::Arc<Scripted>);
    impl TokenSource for Shared {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
            self.0.get_token(http)
        }
    }
    let client = builder(
        &url,
        Credential::Token(TokenCredential::new(Shared(source.clone()))),
    )
    .add_root_certificates(&pem)
    .build()
    .unwrap();
    let mut n = 0;
    let stats = Lister::new(&client)
        .concurrency(1)
        .list(&plan, &mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 6);
    assert_eq!(source.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(stats.retries >= 1);

    // Refused every time: one new token, then a clear error without it.
    let always = Scripted {
        tokens: std::sync::Mutex::new(vec![expired.clone()]),
        calls: Default::default(),
    };
    let client = builder(&url, Credential::Token(TokenCredential::new(always)))
        .add_root_certificates(&pem)
        .build()
        .unwrap();
    let e = Lister::new(&client)
        .concurrency(1)
        .list(&plan, &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HTTP 403") && e.contains("refused the Microsoft Entra ID token"),
        "{e}"
    );
    assert!(!e.contains(&expired), "{e}");
}
