//! The page shell and the small pieces every page uses. Everything a post says is written by
//! strangers: maud escapes every value, and only http(s) URLs ever become links, opened with
//! `rel="noopener noreferrer nofollow ugc"`.

use chrono::{DateTime, Utc};
use hark_app::Caller;
use maud::{DOCTYPE, Markup, html};

use crate::web::assets;

/// What the shell needs to know about the request.
#[derive(Debug)]
pub struct Shell<'a> {
    pub title: &'a str,
    /// The signed-in user, `None` on the login page.
    pub caller: Option<&'a Caller>,
    /// The session's CSRF token, for forms and for scripts (a meta tag).
    pub csrf: Option<&'a str>,
    /// Which navigation entry is current.
    pub section: &'a str,
}

pub fn page(shell: &Shell<'_>, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(csrf) = shell.csrf { meta name="csrf-token" content=(csrf); }
                title { (shell.title) " · hark" }
                link rel="stylesheet" href=(assets::path("app.css"));
                script src=(assets::path("app.js")) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                @if let Some(caller) = shell.caller {
                    header.top {
                        nav aria-label="Main" {
                            a.brand href="/" { "hark" }
                            @for queue in caller.queues() {
                                @let href = format!("/queues/{}", queue.as_str());
                                a href=(href) aria-current=[(shell.section == queue.as_str()).then_some("page")] {
                                    (capitalised(queue.as_str()))
                                }
                            }
                            a href="/search" aria-current=[(shell.section == "search").then_some("page")] { "Search" }
                            @if caller.may(hark_app::access::Permission::Prospects) {
                                a href="/prospects" aria-current=[(shell.section == "prospects").then_some("page")] { "Prospects" }
                            }
                            a href="/sources" aria-current=[(shell.section == "sources").then_some("page")] { "Sources" }
                            a href="/dashboard" aria-current=[(shell.section == "dashboard").then_some("page")] { "Dashboard" }
                            @if caller.may(hark_app::access::Permission::Admin) {
                                a href="/admin" aria-current=[(shell.section == "admin").then_some("page")] { "Admin" }
                            }
                        }
                        form.signout method="post" action="/logout" {
                            @if let Some(csrf) = shell.csrf { input type="hidden" name="csrf" value=(csrf); }
                            span.user { (caller.name) " · " (caller.role.as_str()) }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
                div #keys-help hidden role="dialog" aria-label="Keyboard shortcuts" {
                    h2 { "Keyboard shortcuts" }
                    dl {
                        dt { kbd { "j" } " / " kbd { "k" } } dd { "next / previous item" }
                        dt { kbd { "Enter" } } dd { "open the item" }
                        dt { kbd { "a" } } dd { "assign to me" }
                        dt { kbd { "c" } } dd { "contacted" }
                        dt { kbd { "r" } } dd { "resolved" }
                        dt { kbd { "d" } } dd { "dismiss with a reason" }
                        dt { kbd { "u" } } dd { "undo your last action" }
                        dt { kbd { "?" } } dd { "show these keys" }
                    }
                    button type="button" data-close-help { "Close" }
                }
                div #flash role="status" aria-live="polite" {}
            }
        }
    }
}

pub fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A URL from a post, as a link only when it is http(s); anything else (`javascript:`,
/// `data:`, relative) is shown as inert text.
pub fn external_link(url: Option<&str>, text: &str) -> Markup {
    match url.filter(|url| is_web_url(url)) {
        Some(url) => html! { a href=(url) rel="noopener noreferrer nofollow ugc" target="_blank" { (text) } },
        None => html! { span.inert-url { (text) } },
    }
}

/// Whether `url` is an absolute http(s) URL (the only kind hark links to).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.chars().any(char::is_control)
}

pub fn time(at: Option<DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M")) } },
        None => html! { "—" },
    }
}

/// A hidden CSRF field for a form.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A probability as a small meter with its value.
pub fn score(label: &str, value: f32) -> Markup {
    html! {
        span.score title=(format!("{label} {value:.2}")) {
            (label) " "
            meter min="0" max="1" value=(format!("{value:.2}")) aria-label=(label) {}
            " " (format!("{value:.2}"))
        }
    }
}

/// A message page (errors, refusals) inside the shell.
pub fn message(shell: &Shell<'_>, heading: &str, text: &str) -> Markup {
    page(shell, &html! { h1 { (heading) } p.message { (text) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_become_links() {
        assert!(is_web_url("https://example.com/x"));
        assert!(is_web_url("HTTP://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url(" data:text/html,<script>"));
        assert!(!is_web_url("/relative"));
        assert!(!is_web_url("https://exa\nmple.com"));
        let link = external_link(Some("javascript:alert(1)"), "x").into_string();
        assert!(!link.contains("href"), "{link}");
        let link = external_link(Some("https://example.com/\"><svg onload=alert(1)>"), "x").into_string();
        assert!(link.contains("href=\"https://example.com/&quot;&gt;&lt;svg onload=alert(1)&gt;\""), "{link}");
    }
}
