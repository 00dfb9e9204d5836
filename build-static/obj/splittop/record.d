build-static/obj/splittop/record.o: src/splittop/record.c \
 src/splittop/record.h src/splittop/render.h src/splittop/snapshot.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h src/splittop/self_stats.h
src/splittop/record.h:
src/splittop/render.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/self_stats.h:
