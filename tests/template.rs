//! `data "template_handlebars"` through the built binary: a Hadoop `core-site.xml` rendered
//! from a template file, strict-mode errors, and agreement with `hadoop_config_xml`.

mod common;

use common::Workspace;

const CORE_SITE_HBS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<configuration>
  <property>
    <name>fs.defaultFS</name>
    <value>hdfs://{{namenode}}:{{port}}</value>
  </property>
{{#if ha}}
  {{hadoop_property "ha.zookeeper.quorum" (join zookeepers ",")}}
{{/if}}
{{#each extra}}
  {{hadoop_property @key this}}
{{/each}}
</configuration>
"#;

#[test]
fn template_renders_core_site_xml_from_a_file() {
    let ws = Workspace::new();
    ws.write("core-site.xml.hbs", CORE_SITE_HBS);
    ws.write(
        "main.tf",
        r#"data "template_handlebars" "core_site" {
  template = file("core-site.xml.hbs")
  vars = {
    namenode   = "nn01.cluster"
    port       = 9000
    ha         = true
    zookeepers = ["zk1:2181", "zk2:2181"]
    extra      = { "hadoop.tmp.dir" = "/data/tmp", "io.file.buffer.size" = 131072, "x.note" = "a&b" }
  }
}
output "core_site" {
  value = data.template_handlebars.core_site.rendered
}
"#,
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<configuration>
  <property>
    <name>fs.defaultFS</name>
    <value>hdfs://nn01.cluster:9000</value>
  </property>
  <property>
    <name>ha.zookeeper.quorum</name>
    <value>zk1:2181,zk2:2181</value>
  </property>
  <property>
    <name>hadoop.tmp.dir</name>
    <value>/data/tmp</value>
  </property>
  <property>
    <name>io.file.buffer.size</name>
    <value>131072</value>
  </property>
  <property>
    <name>x.note</name>
    <value>a&amp;b</value>
  </property>
</configuration>
"#;
    assert_eq!(ws.outputs()["core_site"], serde_json::json!(expected));
}

#[test]
fn template_missing_variable_names_the_data_source_and_the_variable() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        r#"data "template_handlebars" "spark_env" {
  template = "SPARK_MASTER_HOST={{master}}\nSPARK_WORKER_CORES={{worker_cores}}\n"
  vars     = { master = "m01" }
}
output "env" {
  value = data.template_handlebars.spark_env.rendered
}
"#,
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("data.template_handlebars.spark_env"), "{}", r.stderr);
    assert!(r.stderr.contains("\"worker_cores\"") && r.stderr.contains("line 2"), "{}", r.stderr);
}

#[test]
fn template_hadoop_xml_is_byte_for_byte_hadoop_config_xml() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        r#"locals {
  props = {
    "fs.defaultFS"    = "hdfs://nn01:9000"
    "a&b<c>"          = "a&b<c>"
    "x.quotes"        = "\"double\" and 'single'"
    "dfs.replication" = 3
    "x.ratio"         = 0.1
    "x.third"         = 1 / 3
    "x.enabled"       = true
  }
}
data "template_handlebars" "xml" {
  template = "{{hadoop_xml props}}"
  vars     = { props = local.props }
}
output "via_template" {
  value = data.template_handlebars.xml.rendered
}
output "via_function" {
  value = hadoop_config_xml(local.props)
}
"#,
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    let out = ws.outputs();
    assert_eq!(out["via_template"], out["via_function"]);
    let xml = out["via_template"].as_str().unwrap_or_default();
    assert!(xml.contains("<name>a&amp;b&lt;c&gt;</name>\n    <value>a&amp;b&lt;c&gt;</value>"), "{xml}");
    assert!(xml.contains("<value>&quot;double&quot; and &apos;single&apos;</value>"), "{xml}");
}
