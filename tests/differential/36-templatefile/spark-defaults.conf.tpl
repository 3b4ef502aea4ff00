spark.master ${master}
%{ for k, v in props ~}
${k} ${v}
%{ endfor ~}
