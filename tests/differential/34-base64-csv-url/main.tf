output "b64" { value = base64encode("hello, world") }
output "b64d" { value = base64decode("aGVsbG8sIHdvcmxk") }
output "text_b64" { value = textencodebase64("hi", "UTF-8") }
output "csv" { value = csvdecode("name,role\nh1,master\nh2,worker\n") }
output "url" { value = urlencode("a b&c=d/é") }
