build-static/obj/splittop/snapshot.o: src/splittop/snapshot.c \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
