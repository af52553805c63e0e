"""The month-end close (PRODUCT.md §5, "The close"): locked months (`locks`), the snapshots taken at
each lock and their restatement diff (`snapshots`), and the reports sent by e-mail (`subscriptions`,
`reports`, `mail`, `sender`; the command `scorecard send-reports`)."""
