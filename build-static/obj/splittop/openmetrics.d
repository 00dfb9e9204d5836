build-static/obj/splittop/openmetrics.o: src/splittop/openmetrics.c \
 src/splittop/openmetrics.h src/splittop/snapshot.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h src/splittop/self_stats.h \
 src/splittop/text.h
src/splittop/openmetrics.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/self_stats.h:
src/splittop/text.h:
