variables {
  a = "file-a"
}
run "file_values" {
  assert {
    condition     = output.joined == "file-a/b-default"
    error_message = "joined: ${output.joined}"
  }
}
run "run_values" {
  variables {
    b = "run-${var.a}"
    n = length(run.file_values.joined)
  }
  assert {
    condition     = output.joined == "file-a/run-file-a"
    error_message = "joined: ${output.joined}"
  }
  assert {
    condition     = output.n == 32
    error_message = "n: ${output.n}"
  }
}
run "undeclared_value" {
  command = plan
  variables {
    unused = "x"
  }
}
run "wrong_type" {
  command = plan
  variables {
    n = "not a number"
  }
}
run "after_wrong_type" {
  command = plan
}
