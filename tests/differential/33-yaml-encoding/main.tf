locals {
  conf = {
    spark = {
      master  = "spark://m:7077"
      cores   = 4
      enabled = true
      script  = "line1\nline2"
    }
    hosts = ["h1", "h2"]
    empty = []
    none  = null
  }
}
output "yaml" { value = yamlencode(local.conf) }
output "list_of_maps" { value = yamlencode([{ a = 1, b = 2 }, { c = 3 }]) }
output "decoded" { value = yamldecode("a: 1\nb:\n  - x\n  - y: true\nc: 'quoted'\nd: null\n") }
