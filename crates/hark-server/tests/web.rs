//! The web app's security at the HTTP level (the browser suite checks what people see):
//! security headers on every response, the session cookie's attributes, CSRF refusals,
//! login throttling, only local redirects after sign-in, and role rules on pages.

#[path = "browser/fixture.rs"]
#[allow(dead_code, reason = "the browser suite uses more of the fixture than these tests")]
mod fixture;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use fixture::{Fixture, Users};
use tower::ServiceExt;

struct Web {
    router: Router,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Web {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.expect("a body");
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, path: &str, cookies: &str) -> Answer {
        self.send(Request::get(path).header(header::COOKIE, cookies).body(Body::empty()).expect("a request")).await
    }

    async fn post(&self, path: &str, cookies: &str, form: &str, extra: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(form.to_owned())).expect("a request")).await
    }

    /// The login form's CSRF token and its cookie.
    async fn login_form(&self) -> (String, String) {
        let page = self.get("/login", "").await;
        let cookie = set_cookie(&page.headers, "hark_login_csrf").expect("the login form sets its token cookie");
        let field = page.body.split("name=\"csrf\" value=\"").nth(1).expect("a csrf field");
        (field[..field.find('"').expect("a closing quote")].to_owned(), cookie)
    }

    /// Signs in; returns the session cookie and the page's CSRF token.
    async fn sign_in(&self, (name, password): (&str, &str)) -> (String, String) {
        let (csrf, cookie) = self.login_form().await;
        let form = format!("username={name}&password={}&csrf={csrf}&next=/", password.replace(' ', "+"));
        let answer = self.post("/login", &format!("hark_login_csrf={cookie}"), &form, &[]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let session =
            format!("hark_session={}", set_cookie(&answer.headers, "hark_session").expect("a session cookie"));
        let inbox = self.get("/queues/service?state=all", &session).await;
        let token = inbox
            .body
            .split("name=\"csrf-token\" content=\"")
            .nth(1)
            .map(|rest| rest[..rest.find('"').unwrap_or(0)].to_owned());
        (session, token.unwrap_or_default())
    }
}

fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| value[name.len() + 1..value.find(';').unwrap_or(value.len())].to_owned())
}

fn raw_set_cookie(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_default()
        .to_owned()
}

async fn web() -> (Fixture, Web) {
    let fixture = Fixture::new().await;
    let router = hark_server::router(fixture.app.clone());
    (fixture, Web { router })
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_fixture, web) = web().await;
    for path in ["/login", "/queues/service", "/api/v1/queues", "/healthz", "/nowhere"] {
        let answer = web.get(path, "").await;
        let csp = answer.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(answer.headers.get(header::X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert!(answer.headers.contains_key(header::REFERRER_POLICY), "{path}");
        assert_eq!(answer.headers.get(header::X_CONTENT_TYPE_OPTIONS).and_then(|v| v.to_str().ok()), Some("nosniff"));
    }
    // No inline script or style anywhere in a page.
    let page = web.get("/login", "").await.body;
    assert!(!page.contains("<script>") && !page.contains(" style=") && !page.contains("<style"), "{page}");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure_behind_tls() {
    let (_fixture, web) = web().await;
    let (csrf, cookie) = web.login_form().await;
    let (name, password) = Users::SERVICE;
    let form = format!("username={name}&password={}&csrf={csrf}&next=/", password.replace(' ', "+"));
    let plain = web.post("/login", &format!("hark_login_csrf={cookie}"), &form, &[]).await;
    let session = raw_set_cookie(&plain.headers, "hark_session");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && !session.contains("Secure"),
        "{session}"
    );
    let (csrf, cookie) = web.login_form().await;
    let form = format!("username={name}&password={}&csrf={csrf}&next=/", password.replace(' ', "+"));
    let behind_tls =
        web.post("/login", &format!("hark_login_csrf={cookie}"), &form, &[("x-forwarded-proto", "https")]).await;
    assert!(raw_set_cookie(&behind_tls.headers, "hark_session").contains("; Secure"));
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token() {
    let (_fixture, web) = web().await;
    // Signing in without the form's token (a cross-site form) is refused.
    let (name, password) = Users::SERVICE;
    let forged =
        web.post("/login", "", &format!("username={name}&password={}&csrf=x", password.replace(' ', "+")), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged.headers, "hark_session").is_none());

    let (session, csrf) = web.sign_in(Users::SERVICE).await;
    assert!(!csrf.is_empty());
    let inbox = web.get("/queues/service?state=all", &session).await.body;
    let id = inbox
        .split("data-item-id=\"")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap_or(0)].to_owned())
        .expect("an item");
    let path = format!("/items/{id}/transition");
    let without = web.post(&path, &session, "state=contacted", &[]).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{}", without.body);
    let wrong = web.post(&path, &session, "state=contacted&csrf=0000", &[]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let item = web.get(&format!("/items/{id}"), &session).await.body;
    assert!(item.contains("data-state=\"new\""), "nothing changed without the token");
    // With the token (as a field, or as the scripts send it, a header) it moves.
    let with = web.post(&path, &session, &format!("state=contacted&csrf={csrf}"), &[]).await;
    assert_eq!(with.status, StatusCode::SEE_OTHER, "{}", with.body);
    let header =
        web.post(&path, &session, "state=resolved", &[("x-csrf-token", &csrf), ("accept", "application/json")]).await;
    assert_eq!(header.status, StatusCode::OK, "{}", header.body);
    assert!(header.body.contains("\"state\":\"resolved\""), "{}", header.body);
}

#[tokio::test]
async fn sign_in_is_throttled_per_user_and_only_local_paths_are_followed() {
    let (_fixture, web) = web().await;
    let (name, password) = Users::SALES;
    for _ in 0..5 {
        let (csrf, cookie) = web.login_form().await;
        let wrong = web
            .post(
                "/login",
                &format!("hark_login_csrf={cookie}"),
                &format!("username={name}&password=nope&csrf={csrf}"),
                &[],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("unknown user or wrong password"));
    }
    // Now even the right password waits.
    let (csrf, cookie) = web.login_form().await;
    let form = format!("username={name}&password={}&csrf={csrf}", password.replace(' ', "+"));
    let throttled = web.post("/login", &format!("hark_login_csrf={cookie}"), &form, &[]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{}", throttled.body);
    assert!(set_cookie(&throttled.headers, "hark_session").is_none());

    // Another user is not held up, and is never sent off-site after signing in.
    let (csrf, cookie) = web.login_form().await;
    let (name, password) = Users::SERVICE;
    let form = format!("username={name}&password={}&csrf={csrf}&next=//evil.example/x", password.replace(' ', "+"));
    let signed_in = web.post("/login", &format!("hark_login_csrf={cookie}"), &form, &[]).await;
    assert_eq!(signed_in.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/"));
}

#[tokio::test]
async fn pages_follow_the_role_rules_and_strangers_go_to_sign_in() {
    let (_fixture, web) = web().await;
    let anonymous = web.get("/queues/service", "").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/login?next=/queues/service")
    );
    let (session, _) = web.sign_in(Users::SALES).await;
    let refused = web.get("/queues/service", &session).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Not for your role"));
    assert_eq!(web.get("/admin", &session).await.status, StatusCode::FORBIDDEN);
    assert_eq!(web.get("/prospects", &session).await.status, StatusCode::OK);
    let (session, _) = web.sign_in(Users::COMMUNITY).await;
    assert_eq!(web.get("/prospects", &session).await.status, StatusCode::FORBIDDEN);
    // Signing out ends the session.
    let page = web.get("/queues/community", &session).await.body;
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap_or(0)].to_owned())
        .unwrap_or_default();
    let out = web.post("/logout", &session, &format!("csrf={csrf}"), &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(web.get("/queues/community", &session).await.status, StatusCode::SEE_OTHER);
}
