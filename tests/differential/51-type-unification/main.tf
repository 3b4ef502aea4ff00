# Arguments and elements of different types are brought to one type, as Terraform does,
# and the state records what the value holds (read back by `output -json`).
output "coalesce_mixed" { value = coalesce(1, "hello") }
output "coalesce_null_first" { value = coalesce(null, 2, "x") }
output "setintersection_mixed" { value = setintersection(["bob", "jane", 3], ["jane", 3], ["3", "jane"]) }
output "setunion_mixed" { value = setunion([1], ["a"]) }
output "setsubtract_mixed" { value = setsubtract(["a", 1, true], ["true"]) }
output "setproduct_mixed" { value = setproduct(["staging", "production"], ["a", 2]) }
output "setproduct_numbers" { value = setproduct(["a"], [1, 2]) }
output "setproduct_set" { value = setproduct(toset(["a"]), [1, 2]) }
output "grapheme_length" { value = length("👾🕹️") }
output "grapheme_substr" { value = substr("👾🕹️x", 1, 1) }
output "grapheme_strrev" { value = strrev("ab👾🕹️") }
output "formatdate_quote" { value = formatdate("H 'o''clock'", "2018-01-02T23:12:01Z") }
output "formatdate_lone_quote" { value = formatdate("DD''MM", "2018-01-02T23:12:01Z") }
output "utf16le" { value = textencodebase64("Hello World", "UTF-16LE") }
output "utf16_bom" { value = textencodebase64("Héllo", "UTF-16") }
output "utf16be" { value = textencodebase64("Héllo", "utf-16be") }
output "latin1" { value = textencodebase64("Héllo", "ISO-8859-1") }
output "shift_jis" { value = textencodebase64("日本", "Shift_JIS") }
output "decode_utf16le" { value = textdecodebase64("SABlAGwAbABvAA==", "UTF-16LE") }
output "decode_shift_jis" { value = textdecodebase64("k/qWew==", "Shift_JIS") }

resource "terraform_data" "mixed" {
  input = setproduct(["staging", "production"], ["a", 2])
}

output "through_a_resource" { value = terraform_data.mixed.output }
