build-static/obj/splittop/output_file.o: src/splittop/output_file.c \
 src/splittop/output_file.h
src/splittop/output_file.h:
