build-static/obj/splittop/http_none.o: src/splittop/http_none.c \
 src/splittop/exporter.h src/splittop/listen_addr.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/web_config.h
src/splittop/exporter.h:
src/splittop/listen_addr.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/web_config.h:
