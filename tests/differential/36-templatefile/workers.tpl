%{ for h in hosts ~}
${h}
%{ endfor ~}
