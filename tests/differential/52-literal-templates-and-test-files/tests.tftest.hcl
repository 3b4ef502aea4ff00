run "defaults" {
  command = plan

  assert {
    condition     = output.order == ["namespace", "name"]
    error_message = "unexpected label order"
  }
}
