// Submits the form_post response form (OAuth 2.0 Form Post Response Mode); a file, not an
// inline script, so the page's Content-Security-Policy forbids inline scripts.
document.getElementById("form_post").submit();
