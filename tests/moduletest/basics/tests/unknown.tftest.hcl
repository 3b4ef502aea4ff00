variables {
  name = "abc"
}
run "unknown" {
  command = plan
  variables { n = 1 }
  assert {
    condition = terraform_data.x[0].output == "x"
    error_message = "unk"
  }
}
run "next" {
  command = plan
}
