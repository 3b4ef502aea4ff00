module "spark" {
  source  = "./modules/cluster"
  name    = "spark"
  workers = 2
}
output "master" { value = module.spark.master }
output "workers" { value = module.spark.workers }
output "summary" { value = module.spark }
