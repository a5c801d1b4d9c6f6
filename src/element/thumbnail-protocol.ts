/** Asks the thumbnail worker for a square thumbnail `size` pixels wide. */
export interface ThumbnailRequest {
  id: number;
  file: Blob;
  size: number;
}

/** The thumbnail, or no blob when the image could not be decoded. */
export interface ThumbnailReply {
  id: number;
  blob?: Blob;
}
