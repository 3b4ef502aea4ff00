run "ok_first" {
  command = plan
}
run "local_expected" {
  command         = plan
  expect_failures = [local.l]
}
run "skipped" {
  command = plan
}
