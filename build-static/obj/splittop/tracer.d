build-static/obj/splittop/tracer.o: src/splittop/tracer.c \
 src/splittop/tracer.h src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 build-static/splittop.skel.h src/splittop/sources.h \
 src/splittop/bpf_log.h src/splittop/census.h \
 src/splittop/source_choice.h
src/splittop/tracer.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
build-static/splittop.skel.h:
src/splittop/sources.h:
src/splittop/bpf_log.h:
src/splittop/census.h:
src/splittop/source_choice.h:
