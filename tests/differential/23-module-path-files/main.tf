module "cfg" {
  source = "./modules/cfg"
}
output "content" { value = module.cfg.content }
output "rendered" { value = module.cfg.rendered }
output "root_file" { value = trimspace(file("${path.module}/root.txt")) }
