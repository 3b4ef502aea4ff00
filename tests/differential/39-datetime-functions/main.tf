locals {
  t = "2024-03-05T07:08:09Z"
}
output "formats" {
  value = [
    formatdate("YYYY-MM-DD", local.t),
    formatdate("DD MMM YYYY hh:mm ZZZ", local.t),
    formatdate("EEEE, MMMM D, YYYY", local.t),
    formatdate("h:mm:ss AA", "2024-03-05T19:08:09-05:00"),
    formatdate("'at' HH:mm", local.t),
  ]
}
output "timeadd" { value = [timeadd(local.t, "1h30m"), timeadd(local.t, "-24h"), timeadd(local.t, "90s")] }
output "timecmp" { value = [timecmp(local.t, "2024-03-05T07:08:09Z"), timecmp(local.t, "2025-01-01T00:00:00Z")] }
