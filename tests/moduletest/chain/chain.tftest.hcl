run "setup" {
  module {
    source = "./setup"
  }
  variables {
    seed = "alpha"
  }
}
run "first" {
  variables {
    prefix = run.setup.prefix
    items  = ["a", "b"]
  }
  assert {
    condition     = output.names == ["ALPHA-a", "ALPHA-b"]
    error_message = "names: ${jsonencode(output.names)}"
  }
}
run "grow" {
  variables {
    prefix = run.setup.prefix
    items  = concat(["c"], run.first.names)
  }
  assert {
    condition     = output.count == 3
    error_message = "count"
  }
  assert {
    condition     = contains(output.names, "ALPHA-ALPHA-a")
    error_message = "names: ${jsonencode(output.names)}"
  }
}
run "plan_shrink" {
  command = plan
  variables {
    prefix = "x"
    items  = ["a"]
  }
  assert {
    condition     = length(terraform_data.item) == 1
    error_message = "one item planned"
  }
  assert {
    condition     = output.count == 2
    error_message = "wrong on purpose: the plan has count 1"
  }
}
