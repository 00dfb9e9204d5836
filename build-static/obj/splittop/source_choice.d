build-static/obj/splittop/source_choice.o: src/splittop/source_choice.c \
 src/splittop/source_choice.h src/splittop/tracer.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 build-static/splittop.skel.h src/splittop/sources.h
src/splittop/source_choice.h:
src/splittop/tracer.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
build-static/splittop.skel.h:
src/splittop/sources.h:
