// The legal-review page.
