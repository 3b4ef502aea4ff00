variables {
  prefix = "k"
}
run "one" {
  state_key = "other"
  variables {
    items = ["x"]
  }
  assert {
    condition     = output.names == ["k-x"]
    error_message = "one"
  }
}
run "two" {
  variables {
    items = ["y", "z"]
  }
  assert {
    condition     = length(output.names) == 2
    error_message = "a state of its own: ${jsonencode(output.names)}"
  }
}
run "three" {
  state_key = "other"
  command   = plan
  variables {
    items = ["x"]
  }
  assert {
    condition     = output.names == ["k-x"]
    error_message = "the other state holds x"
  }
}
run "setup_again" {
  module {
    source = "./setup"
  }
  assert {
    condition     = output.prefix == "S"
    error_message = "default seed"
  }
}
