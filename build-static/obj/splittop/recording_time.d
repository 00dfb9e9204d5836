build-static/obj/splittop/recording_time.o: src/splittop/recording_time.c \
 src/splittop/recording_time.h src/splittop/json_reader.h
src/splittop/recording_time.h:
src/splittop/json_reader.h:
