build-static/obj/splittop/metrics.o: src/splittop/metrics.c \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h src/splittop/hist.h
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/hist.h:
