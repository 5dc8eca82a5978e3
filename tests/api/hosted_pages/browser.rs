//! A browser without JavaScript, as far as the hosted pages can tell: it opens a link, keeps
//! the form cookie the page sets, and posts the page's form back with the hidden fields the
//! page rendered, from the page's origin (`Origin`, as browsers send on a form POST).

use reqwest::header::{COOKIE, HeaderMap, ORIGIN, SET_COOKIE};

use crate::helpers::TestApp;

pub struct Browser<'a> {
    app: &'a TestApp,
    /// `name=value` of the form cookie, once a page set it.
    pub cookie: Option<String>,
}

/// A page as the browser received it.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: String,
}

impl Answer {
    /// The value of the form field (input) named `name`, unescaped.
    pub fn field(&self, name: &str) -> String {
        field(&self.html, name).unwrap_or_else(|| panic!("no field {name} in {}", self.html))
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.html.contains(&format!("name=\"{name}\""))
    }

    /// The opening tag of the input whose id is `id`.
    pub fn input_tag(&self, id: &str) -> String {
        let start = self
            .html
            .find(&format!("<input id=\"{id}\""))
            .unwrap_or_else(|| panic!("no input {id} in {}", self.html));
        let end = self.html[start..].find('>').unwrap() + start;
        self.html[start..=end].to_owned()
    }
}

/// The `value` of the first `<input name="{name}" …>`.
fn field(html: &str, name: &str) -> Option<String> {
    let tag_start = html.find(&format!("name=\"{name}\""))?;
    let tag_end = html[tag_start..].find('>')? + tag_start;
    let tag = &html[tag_start..tag_end];
    let value_start = tag.find("value=\"")? + "value=\"".len();
    let value_end = tag[value_start..].find('"')? + value_start;
    Some(unescape(&tag[value_start..value_end]))
}

fn unescape(text: &str) -> String {
    text.replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    /// Opens `url` (a mailed link, or a path on the app).
    pub async fn open(&mut self, url: &str) -> Answer {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            self.app.url(url)
        };
        let mut request = self.app.http.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let answer = answer(request.send().await.unwrap()).await;
        if let Some(set) = answer.headers.get(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            self.cookie = Some(pair.to_owned());
        }
        answer
    }

    /// Posts `fields` to `path` as a same-origin form would.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.app.url("");
        self.post_with(path, fields, &[(ORIGIN.as_str(), origin.as_str())])
            .await
    }

    /// Posts `fields` with exactly these extra headers (and the cookie, when one was set).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .app
            .http
            .post(self.app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send().await.unwrap()).await
    }

    /// Submits the form of `page` (its hidden fields) to `path`, with `fields` filled in.
    pub async fn submit(&self, page: &Answer, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = hidden_fields(&page.html);
        for (name, value) in fields {
            all.retain(|(n, _)| n != name);
            all.push(((*name).to_owned(), (*value).to_owned()));
        }
        let pairs: Vec<(&str, &str)> = all.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        self.post(path, &pairs).await
    }
}

/// The hidden inputs of the page's first form.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[..html.find("</form>").unwrap_or(html.len())];
    form.match_indices("<input type=\"hidden\" name=\"")
        .filter_map(|(at, prefix)| {
            let rest = &form[at + prefix.len()..];
            let name = &rest[..rest.find('"')?];
            Some((name.to_owned(), field(&form[at..], name)?))
        })
        .collect()
}

async fn answer(response: reqwest::Response) -> Answer {
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        html: response.text().await.unwrap(),
    }
}

/// The first http(s) link of the first mail to `to` whose subject has `subject` in it,
/// waiting for it (some mails are queued after the answer).
pub async fn mailed_link(app: &TestApp, to: &str, subject: &str) -> String {
    link_in(&nth_mail_text(app, to, subject, 1).await)
}

/// The first http(s) link in `text`.
pub fn link_in(text: &str) -> String {
    let start = text.find("http").unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// The text of the `n`th mail (from 1, oldest first) to `to` whose subject has `subject` in
/// it, waiting for it.
pub async fn nth_mail_text(app: &TestApp, to: &str, subject: &str, n: usize) -> String {
    for _ in 0..400 {
        let outbox = app.app.mail.read_outbox(to).await.unwrap();
        // `read_outbox` lists the newest first.
        let mut matching = outbox.iter().rev().filter(|m| m.subject.contains(subject));
        if let Some(mail) = matching.nth(n - 1) {
            return mail.text.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail number {n} about {subject:?} to {to}");
}
