build-static/obj/splittop/recording_vm.o: src/splittop/recording_vm.c \
 src/splittop/recording_vm.h src/splittop/json_reader.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h src/splittop/recording_format.h \
 src/splittop/text.h
src/splittop/recording_vm.h:
src/splittop/json_reader.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/recording_format.h:
src/splittop/text.h:
