//! A browser without JavaScript, enough for the hosted pages: it keeps cookies, reads
//! redirects instead of following them, and submits a page's form with its hidden fields.

use std::collections::BTreeMap;

use crate::helpers::TestApp;

pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url(""),
            cookies: BTreeMap::new(),
        }
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.trim_end_matches('/'), path)
    }

    /// GETs `path`: (status, Location, body).
    pub async fn get(&mut self, path: &str) -> (u16, Option<String>, String) {
        let response = self
            .http
            .get(self.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    async fn read(&mut self, response: reqwest::Response) -> (u16, Option<String>, String) {
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }

    /// GETs `path`, which must answer a 303; its Location.
    pub async fn get_redirect(&mut self, path: &str) -> String {
        let (status, location, body) = self.get(path).await;
        assert_eq!(status, 303, "{path}: {body}");
        location.unwrap()
    }

    /// GETs `path`, which must answer a page; its HTML.
    pub async fn get_page(&mut self, path: &str) -> String {
        let (status, _, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// Posts the page's (first) form with its hidden fields and `fields`: (status,
    /// Location, body).
    pub async fn post_form(
        &mut self,
        page: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let action = attribute(page.split("<form").nth(1).unwrap(), "action");
        let mut form: Vec<(String, String)> = hidden_fields(page);
        for (name, value) in fields {
            form.retain(|(n, _)| n != name);
            form.push(((*name).to_owned(), (*value).to_owned()));
        }
        let response = self
            .http
            .post(self.url(&action))
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// Posts the page's form, which must answer a 303; its Location.
    pub async fn submit(&mut self, page: &str, fields: &[(&str, &str)]) -> String {
        let (status, location, body) = self.post_form(page, fields).await;
        assert_eq!(status, 303, "{body}");
        location.unwrap()
    }
}

/// The hidden inputs of the page's first form.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let form = page
        .split("<form")
        .nth(1)
        .unwrap()
        .split("</form>")
        .next()
        .unwrap();
    form.split("<input")
        .skip(1)
        .filter(|input| input.contains("type=\"hidden\""))
        .map(|input| (attribute(input, "name"), attribute(input, "value")))
        .collect()
}

fn attribute(tag: &str, name: &str) -> String {
    let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let value = &tag[start..];
    let value = &value[..value.find('"').unwrap()];
    value
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}
