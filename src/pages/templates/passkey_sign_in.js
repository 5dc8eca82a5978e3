// Passkey sign-in: ask Janua for request options, let the browser's authenticator answer,
// and post the answer with the page's form (which carries its CSRF token). Shown only to
// browsers that can do it; the password form works without any of this.
(function () {
  const form = document.getElementById("passkey-form");
  const problem = document.getElementById("passkey-problem");
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) return;
  form.hidden = false;
  document.getElementById("passkey-button").addEventListener("click", async () => {
    problem.hidden = true;
    try {
      const started = await fetch("/api/v1/mfa/passkeys/login/options", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (!started.ok) throw new Error("Passkeys are not available right now.");
      const { challenge_id, options_json } = await started.json();
      const options = JSON.parse(options_json);
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey || options);
      const credential = await navigator.credentials.get({ publicKey });
      form.elements.challenge_id.value = challenge_id;
      form.elements.credential_json.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (error) {
      problem.textContent = error && error.name === "NotAllowedError"
        ? "The passkey sign-in was cancelled."
        : "The passkey sign-in failed. Try again or use your password.";
      problem.hidden = false;
    }
  });
})();
