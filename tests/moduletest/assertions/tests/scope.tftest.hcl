run "everything" {
  assert {
    condition     = local.shout == "HELLO"
    error_message = "local"
  }
  assert {
    condition     = module.child.doubled == "HELLOHELLO"
    error_message = "module output"
  }
  assert {
    condition     = terraform_data.t.output.size == 5
    error_message = "resource"
  }
  assert {
    condition     = var.word == "hello" && output.child == "HELLOHELLO"
    error_message = "var and output"
  }
}
run "runs" {
  command = plan
  variables {
    word = "bye"
  }
  assert {
    condition     = run.everything.shout == "HELLO" && output.shout == "BYE"
    error_message = "run outputs"
  }
  assert {
    condition     = run.everything.nothing == null
    error_message = "a null output"
  }
}
run "test_only_var" {
  command = plan
  variables {
    expected = "HELLO"
  }
  assert {
    condition     = output.shout == var.expected
    error_message = "test-only variable"
  }
}
run "several_fail" {
  command = plan
  assert {
    condition     = output.shout == "nope"
    error_message = "first: ${output.shout}"
  }
  assert {
    condition     = true == true && local.shout != ""
    error_message = "holds"
  }
  assert {
    condition     = length(local.shout) == 99
    error_message = "second"
  }
}
run "still_runs" {
  command = plan
  assert {
    condition     = output.shout == "HELLO"
    error_message = "after failures"
  }
}
