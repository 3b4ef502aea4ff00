run "test_directory_values_win" {
  command = plan
  assert {
    condition     = output.ab == "root-a/tests-b"
    error_message = "ab: ${output.ab}"
  }
}
run "file_values_win_over_both" {
  command = plan
  variables {
    b = "run-b"
  }
  assert {
    condition     = output.ab == "root-a/run-b"
    error_message = "ab: ${output.ab}"
  }
}
