build-static/obj/splittop/sample.o: src/splittop/sample.c \
 src/splittop/tracer.h src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/census.h build-static/splittop.skel.h
src/splittop/tracer.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/census.h:
build-static/splittop.skel.h:
