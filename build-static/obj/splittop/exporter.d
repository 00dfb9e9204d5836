build-static/obj/splittop/exporter.o: src/splittop/exporter.c \
 src/splittop/exporter.h src/splittop/listen_addr.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/web_config.h src/splittop/openmetrics.h
src/splittop/exporter.h:
src/splittop/listen_addr.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/web_config.h:
src/splittop/openmetrics.h:
