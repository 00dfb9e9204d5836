build-static/obj/splittop/census.o: src/splittop/census.c \
 src/splittop/census.h src/splittop/tracer.h src/splittop/snapshot.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h build-static/splittop.skel.h
src/splittop/census.h:
src/splittop/tracer.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
build-static/splittop.skel.h:
