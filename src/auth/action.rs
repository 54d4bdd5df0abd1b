//! [`Action`]: what a request asks to do with a person's photo, so an [`Authenticator`](super::Authenticator)
//! can allow reading to some callers and writing to fewer.

/// What a caller asks to do with a person's photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `GET`/`HEAD …/Image`, and each person of a `GetPersonImages` batch.
    ReadImage,
    /// `GET`/`HEAD …/ImageInfo`: the photo's metadata.
    ReadInfo,
    /// `PUT`/`POST …/Image`: store a new photo in place of the old one.
    ReplaceImage,
    /// `DELETE …/Image`.
    DeleteImage,
    /// `PUT …/ImageInfo`: set or clear the photo's focal point.
    EditInfo,
}

impl Action {
    /// Whether the action changes what is stored.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::ReplaceImage | Action::DeleteImage | Action::EditInfo
        )
    }

    /// A short stable name for logs and metrics (`read-image`, `replace-image`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadImage => "read-image",
            Action::ReadInfo => "read-info",
            Action::ReplaceImage => "replace-image",
            Action::DeleteImage => "delete-image",
            Action::EditInfo => "edit-info",
        }
    }
}

/// The action as a verb phrase for messages: "may not {action} person 7".
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::ReadImage => "see the image of",
            Action::ReadInfo => "see the image info of",
            Action::EditInfo => "edit the image info of",
            Action::ReplaceImage => "replace the image of",
            Action::DeleteImage => "delete the image of",
        })
    }
}
