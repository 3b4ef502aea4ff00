output "md5" { value = md5("spark") }
output "sha1" { value = sha1("spark") }
output "sha256" { value = sha256("spark") }
output "sha512" { value = sha512("spark") }
output "b64sha256" { value = base64sha256("spark") }
output "b64sha512" { value = base64sha512("spark") }
output "uuidv5" { value = [uuidv5("dns", "meshform.example"), uuidv5("url", "https://example.com/")] }
